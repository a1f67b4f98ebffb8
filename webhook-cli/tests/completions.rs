//! `webhook completions <shell>`: shell completion scripts.

mod common;

use common::*;

#[test]
fn completions_bash_prints_a_script_mentioning_webhook() {
    let assert = webhook().args(["completions", "bash"]).assert().code(0);
    let script = stdout(&assert);
    assert!(script.contains("_webhook()"), "{script}");
    assert!(script.contains("complete -F _webhook"), "{script}");
    // Subcommands and flags are completed, the new ones included.
    for word in ["verify", "inbox", "completions", "--secret-file"] {
        assert!(script.contains(word), "{word}");
    }
}

#[test]
fn completions_exist_for_every_supported_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let assert = webhook().args(["completions", shell]).assert().code(0);
        let script = stdout(&assert);
        assert!(script.contains("webhook"), "{shell}: {script}");
        assert!(script.contains("secret-file"), "{shell}");
    }
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    let assert = webhook().args(["completions", "tcsh"]).assert().code(2);
    assert!(stderr(&assert).contains("tcsh"), "{}", stderr(&assert));
    webhook().arg("completions").assert().code(2);
}
