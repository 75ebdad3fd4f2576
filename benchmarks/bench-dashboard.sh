#!/usr/bin/env bash
# The leads page at 1,000,000 stored leads on SQLite: database and loopback times per query, and first paint in Debian's
# Chromium (Performance API). A measurement, not a test: it prints figures and asserts only that pages are whole.
# Takes a few minutes (filling a million leads). Needs /usr/bin/chromium (or LEADSCORE_CHROMIUM).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/LeadScore.Server.Tests -c Release -nologo -v q -clp:ErrorsOnly
dotnet tests/LeadScore.Server.Tests/bin/Release/net10.0/LeadScore.Server.Tests.dll -noColor -showLiveOutput \
  -method 'LeadScore.Server.Tests.Dashboard.MillionLeadsMeasurement.Measure_a_page_of_50_sorted_by_score_at_a_million_leads' -explicit only
