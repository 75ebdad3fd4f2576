using LeadScore.Cli;

return await CliApp.RunAsync(args);
