//! The aggregator: lists every bank account of every configured connection, across providers.
//!
//! ```text
//! cargo run --example aggregator            # a table and totals per currency
//! cargo run --example aggregator -- --json  # one JSON document
//! ```
//!
//! Connections come from environment variables (see `gateway::connection`): `finan`
//! (`FINAN_CLIENT_ID`, `FINAN_SECRET_KEY`, `FINAN_BASE_URL`), `sepay-token` (`SEPAY_API_TOKEN`) and
//! `sepay-oauth` (`SEPAY_OAUTH_ACCESS_TOKEN`, `SEPAY_OAUTH_REFRESH_TOKEN`, `SEPAY_OAUTH_CLIENT_ID`,
//! `SEPAY_OAUTH_CLIENT_SECRET`), with `SEPAY_BASE_URL` shared by both SePay ways in. With none set,
//! it starts the built-in sandbox in-process and uses all three connections against it.
//!
//! Connections are queried concurrently; one that fails is reported and does not stop the others.
//! The exit status is non-zero only when every connection failed.

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;

use gateway::aggregate::{list_all_accounts, AggregateReport};
use gateway::connection::{self, Connection, ConnectionError};
use gateway_sandbox::Sandbox;
use serde::Serialize;

#[tokio::main]
async fn main() -> ExitCode {
    let as_json = std::env::args().skip(1).any(|a| a == "--json");

    let mut built = connection::from_env();
    // Kept alive until the end of main: dropping it stops the sandbox.
    let mut _sandbox = None;
    if built.is_empty() {
        let sandbox = match Sandbox::start().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("no credentials are set and the sandbox could not start: {e}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!(
            "No credentials set: using the built-in sandbox (Finan at {}, SePay at {}) for finan, sepay-token and sepay-oauth.",
            sandbox.finan_base_url(),
            sandbox.sepay_base_url()
        );
        let vars: HashMap<&str, String> = sandbox.env_vars().into_iter().collect();
        built = connection::from_vars(|name| vars.get(name).cloned());
        _sandbox = Some(sandbox);
    }

    let mut connections: Vec<Connection> = Vec::new();
    let mut setup_errors: Vec<ConnectionError> = Vec::new();
    for c in built {
        match c {
            Ok(c) => connections.push(c),
            Err(e) => setup_errors.push(e),
        }
    }
    let total = connections.len() + setup_errors.len();

    let mut report = list_all_accounts(&connections).await;
    setup_errors.append(&mut report.errors);
    report.errors = setup_errors;

    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&report)).expect("JSON values always serialize")
        );
    } else {
        print_table(&report);
    }

    let failed: std::collections::HashSet<&str> = report.errors.iter().map(|e| e.connection.as_str()).collect();
    if total > 0 && failed.len() == total {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The `--json` document: `{"accounts": [...], "totals": {"VND": "..."}, "errors": [...]}`, keys in
/// this order, amounts as decimal strings.
#[derive(Serialize)]
struct JsonReport<'a> {
    accounts: Vec<JsonAccount<'a>>,
    totals: BTreeMap<&'static str, String>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonAccount<'a> {
    connection: &'a str,
    provider: &'a str,
    id: &'a str,
    kind: &'a str,
    bank_code: &'a str,
    bank_bin: Option<&'a str>,
    account_number: &'a str,
    account_holder_name: &'a str,
    status: &'a str,
    balance: Option<String>,
    currency: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    connection: &'a str,
    kind: &'a str,
    message: String,
}

fn to_json(report: &AggregateReport) -> JsonReport<'_> {
    let accounts = report
        .accounts
        .iter()
        .map(|a| {
            let acc = &a.account;
            JsonAccount {
                connection: &a.connection,
                provider: a.provider,
                id: &acc.id,
                kind: acc.kind.as_str(),
                bank_code: &acc.bank.code,
                bank_bin: acc.bank.bin.as_deref(),
                account_number: &acc.account_number,
                account_holder_name: &acc.account_holder_name,
                status: acc.status.as_str(),
                balance: acc.balance.map(|m| m.amount_string()),
                currency: acc.balance.map(|m| m.currency().code()),
            }
        })
        .collect();
    let totals = report
        .totals
        .iter()
        .map(|m| (m.currency().code(), m.amount_string()))
        .collect();
    let errors = report
        .errors
        .iter()
        .map(|e| JsonError {
            connection: &e.connection,
            kind: e.error.kind(),
            message: e.error.to_string(),
        })
        .collect();
    JsonReport {
        accounts,
        totals,
        errors,
    }
}

fn print_table(report: &AggregateReport) {
    let header = ["CONNECTION", "BANK", "ACCOUNT NUMBER", "HOLDER", "STATUS", "BALANCE"];
    let rows: Vec<[String; 6]> = report
        .accounts
        .iter()
        .map(|a| {
            let acc = &a.account;
            [
                a.connection.clone(),
                acc.bank.short_name.clone(),
                acc.account_number.clone(),
                acc.account_holder_name.clone(),
                acc.status.as_str().to_string(),
                acc.balance.map_or_else(|| "-".to_string(), |m| grouped(&m)),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 5 {
                // Right-align balances so the digits line up.
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out
    };
    println!("{}", line(header));
    for row in &rows {
        println!("{}", line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]));
    }
    println!();
    let mut per_connection: Vec<(&str, usize)> = Vec::new();
    for a in &report.accounts {
        match per_connection.last_mut() {
            Some((name, n)) if *name == a.connection => *n += 1,
            _ => per_connection.push((&a.connection, 1)),
        }
    }
    let counts: Vec<String> = per_connection.iter().map(|(name, n)| format!("{name}: {n}")).collect();
    println!("{} accounts ({})", report.accounts.len(), counts.join(", "));
    for total in report.totals.iter() {
        println!("Total: {}", grouped(total));
    }
    for e in &report.errors {
        println!("ERROR {}: {}", e.connection, e.error);
    }
}

/// `15000000 VND` as `15,000,000 VND`, for the table only (the JSON keeps plain decimal strings).
fn grouped(money: &gateway::Money) -> String {
    let text = money.amount_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
    format!("{sign}{out}{frac} {}", money.currency())
}
