//! Every command a reader may paste runs: the `sh` blocks and the inline
//! `cargo run --release -- ...` spans of `README.md` and `docs/*.md`, and
//! every `cargo run --release -- ...` line of every `--help`, so that no
//! example can go stale.
//!
//! How: each source (a Markdown file, or one subcommand's `--help`) gets a
//! scratch copy of the repository root (symlinks to the entries in
//! `ROOT_ENTRIES`, so outputs land in the scratch folder, never in the
//! checkout) with `../shared` beside it when the real one exists. Its
//! commands run there in the order they appear, each as
//! `bash -euo pipefail -c COMMAND` (a closed pipe or a panic in a pipeline
//! fails it). A `cargo` on the PATH runs `cargo run --release -- ARGS` as
//! the binary under test; the cargo forms in `NOT_RUN` (the test run
//! itself, benchmarks, nightly fuzzing) and the cluster tools in
//! `CLUSTER_TOOLS` are recorded, not run; any other cargo form fails.
//! A `sh` block that starts with `#!` is a script file's contents (a Slurm
//! batch script), not commands to paste, and is not run.
//!
//! The one way to run the binary that the docs use is
//! `cargo run --release -- SUBCOMMAND`; a command written as
//! `cascade SUBCOMMAND ...` (which needs `cargo install`) fails the test.
//! Commands naming `../shared` are skipped, with a note, where it is absent.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cascade");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The way every example runs the binary.
const RUN: &str = "cargo run --release -- ";
/// What the scratch root links to: what a command may read.
const ROOT_ENTRIES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "benches",
    "data",
    "docs",
    "examples",
    "fuzz",
    "src",
    "tests",
];
/// Cargo forms the docs show that this test does not run, and why.
const NOT_RUN: &[(&str, &str)] = &[
    ("test", "the test run this test is part of"),
    ("bench", "benchmarks take minutes"),
    (
        "run --release --example",
        "the side-by-side benchmark takes minutes",
    ),
    (
        "+nightly fuzz",
        "fuzzing needs nightly and runs for minutes",
    ),
    ("fuzz", "fuzzing runs for minutes"),
    ("install", "installs into the user's cargo folder"),
];
/// Tools of a cluster or a registry, shown in docs/distributed.md.
const CLUSTER_TOOLS: &[&str] = &["docker", "kubectl", "sbatch", "apptainer"];
/// The subcommands: `cascade SUB` written anywhere as a command is wrong.
const SUBCOMMANDS: &[&str] = &["demo", "sim", "replay", "stress", "merge"];

/// One command to run, and where it was written.
#[derive(Clone, Debug)]
struct Snippet {
    /// `FILE:LINE` or `cascade SUB --help, line N`.
    origin: String,
    /// The line it starts on: commands run in this order.
    line: usize,
    /// The bash text.
    text: String,
}

/// The commands of one source, run in one scratch root.
#[derive(Debug, Default)]
struct Source {
    name: String,
    snippets: Vec<Snippet>,
    /// Commands written as `cascade SUB ...`.
    wrong_form: Vec<String>,
}

fn writes_cascade_directly(line: &str) -> bool {
    let line = line.trim_start().trim_start_matches("$ ");
    SUBCOMMANDS
        .iter()
        .any(|s| line.starts_with(&format!("cascade {s} ")) || line == format!("cascade {s}"))
}

/// The inline code spans of `text` (outside fences) with their lines; a
/// span may run over a line break (read as a space).
fn inline_spans(lines: &[(usize, &str)]) -> Vec<(usize, String)> {
    let mut spans = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for &(n, line) in lines {
        if line.trim().is_empty() {
            open = None; // a span never crosses a paragraph
            continue;
        }
        let mut rest = line;
        if let Some((_, s)) = open.as_mut() {
            s.push(' ');
        }
        while !rest.is_empty() {
            match (&mut open, rest.find('`')) {
                (Some((_, s)), Some(i)) => {
                    s.push_str(&rest[..i]);
                    spans.push(open.take().expect("matched Some just above"));
                    rest = &rest[i + 1..];
                }
                (Some((_, s)), None) => {
                    s.push_str(rest);
                    rest = "";
                }
                (None, Some(i)) => {
                    // A run of backticks longer than one is literal text.
                    let after = &rest[i + 1..];
                    if after.starts_with('`') {
                        rest = after.trim_start_matches('`');
                    } else {
                        open = Some((n, String::new()));
                        rest = after;
                    }
                }
                (None, None) => rest = "",
            }
        }
    }
    spans
}

/// Reads the commands of one Markdown file.
fn markdown_source(path: &Path) -> Source {
    let text = fs::read_to_string(path).expect("the docs are readable");
    let name = path
        .strip_prefix(ROOT)
        .unwrap_or(path)
        .display()
        .to_string();
    let mut src = Source {
        name: name.clone(),
        ..Source::default()
    };
    let mut prose: Vec<(usize, &str)> = Vec::new();
    let mut fence: Option<(usize, String, Vec<&str>)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim_start().starts_with("```") {
            match fence.take() {
                None => {
                    let info = line.trim_start().trim_start_matches('`').trim().to_string();
                    fence = Some((n, info, Vec::new()));
                    prose.push((n, "")); // a fence ends a paragraph
                }
                Some((start, info, body)) => {
                    let lang = info.split_whitespace().next().unwrap_or("");
                    let script_file = body.first().is_some_and(|l| l.starts_with("#!"));
                    let checked = matches!(lang, "" | "sh" | "text" | "console");
                    if checked && !script_file {
                        for (j, l) in body.iter().enumerate() {
                            if writes_cascade_directly(l) {
                                src.wrong_form
                                    .push(format!("{name}:{}: {l}", start + 1 + j));
                            }
                        }
                    }
                    if lang == "sh" && !script_file {
                        src.snippets.push(Snippet {
                            origin: format!("{name}:{}", start + 1),
                            line: start + 1,
                            text: body.join("\n"),
                        });
                    }
                }
            }
        } else if let Some((_, _, body)) = fence.as_mut() {
            body.push(line);
        } else {
            prose.push((n, line));
        }
    }
    for (n, span) in inline_spans(&prose) {
        if writes_cascade_directly(&span) {
            src.wrong_form.push(format!("{name}:{n}: `{span}`"));
        }
        if span.starts_with(RUN) {
            src.snippets.push(Snippet {
                origin: format!("{name}:{n}"),
                line: n,
                text: span,
            });
        }
    }
    src.snippets.sort_by_key(|s| s.line);
    src
}

fn run_bin(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "cascade {args:?} failed");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// Reads the commands of every `--help`.
fn help_sources() -> Vec<Source> {
    let mut sources = Vec::new();
    let top = run_bin(&["--help"]);
    let mut subs: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|s| s != "help")
        .collect();
    let mut listed = subs.clone();
    listed.sort();
    let mut known = SUBCOMMANDS.to_vec();
    known.sort();
    assert_eq!(listed, known, "cascade --help lists the subcommands");
    subs.insert(0, String::new());
    for sub in subs {
        let args: Vec<&str> = [sub.as_str(), "--help"]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let name = format!("cascade {}", args.join(" "));
        let text = run_bin(&args);
        let mut src = Source {
            name: name.clone(),
            ..Source::default()
        };
        for (i, line) in text.lines().enumerate() {
            if let Some(at) = line.find(RUN) {
                src.snippets.push(Snippet {
                    origin: format!("{name}, line {}", i + 1),
                    line: i + 1,
                    text: line[at..].trim_end().to_string(),
                });
            }
            let example = line.trim_start().trim_start_matches("Example:");
            if writes_cascade_directly(example) {
                src.wrong_form.push(format!("{name}: {line}"));
            }
        }
        if !sub.is_empty() {
            assert!(
                !src.snippets.is_empty(),
                "{name} shows no example (`{RUN}{sub} ...`)"
            );
        }
        sources.push(src);
    }
    sources
}

fn all_sources() -> Vec<Source> {
    let mut files = vec![PathBuf::from(ROOT).join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("docs/ is readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut sources: Vec<Source> = files.iter().map(|p| markdown_source(p)).collect();
    sources.extend(help_sources());
    sources
}

/// A scratch repository root, with `../shared` beside it when it exists.
struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    not_run: PathBuf,
    has_shared: bool,
}

fn tool_script(body: &str) -> String {
    format!("#!/bin/sh\n{body}\n")
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("repo");
    let bin = dir.path().join("bin");
    fs::create_dir_all(&root).expect("scratch root");
    fs::create_dir_all(&bin).expect("scratch bin");
    for entry in ROOT_ENTRIES {
        let real = Path::new(ROOT).join(entry);
        if real.exists() {
            std::os::unix::fs::symlink(&real, root.join(entry))
                .expect("symlink into the scratch root");
        }
    }
    let shared = Path::new(ROOT).join("../shared");
    let has_shared = shared.is_dir();
    if has_shared {
        let real = shared.canonicalize().expect("../shared resolves");
        std::os::unix::fs::symlink(real, dir.path().join("shared")).expect("symlink ../shared");
    }
    let not_run = dir.path().join("not-run.txt");
    let mut cases = String::new();
    for (form, why) in NOT_RUN {
        cases.push_str(&format!(
            "  '{form}'|'{form} '*) echo \"cargo $*  ({why})\" >> \"$NOT_RUN\"; exit 0;;\n"
        ));
    }
    let cargo = tool_script(&format!(
        "case \"$*\" in\n  'run --release -- '*) shift 3; exec \"$CASCADE_BIN\" \"$@\";;\n{cases}  *) echo \"docs_commands: 'cargo $*' is neither '{RUN}...' nor a form this test knows\" >&2; exit 97;;\nesac"
    ));
    let mut tools = vec![("cargo".to_string(), cargo)];
    for t in CLUSTER_TOOLS {
        tools.push((
            t.to_string(),
            tool_script(&format!(
                "echo \"{t} $*  (needs a cluster or a registry)\" >> \"$NOT_RUN\""
            )),
        ));
    }
    for (name, script) in tools {
        let p = bin.join(name);
        fs::write(&p, script).expect("write a tool");
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod a tool");
    }
    Scratch {
        _dir: dir,
        root,
        not_run,
        has_shared,
    }
}

fn run_in(s: &Scratch, text: &str) -> Output {
    let bin = s.root.parent().expect("the root has a parent").join("bin");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["-euo", "pipefail", "-c", text])
        .current_dir(&s.root)
        .env("PATH", path)
        .env("CASCADE_BIN", BIN)
        .env("NOT_RUN", &s.not_run)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("bash runs")
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

/// Runs one source's commands in order; returns the failures and notes.
fn run_source(src: &Source) -> (Vec<String>, Vec<String>) {
    let s = scratch();
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for sn in &src.snippets {
        if sn.text.contains("../shared") && !s.has_shared {
            notes.push(format!("skipped (no ../shared): {}", sn.origin));
            continue;
        }
        let started = std::time::Instant::now();
        let out = run_in(&s, &sn.text);
        notes.push(format!(
            "ran in {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            sn.origin
        ));
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || stderr.contains("panicked") {
            failures.push(format!(
                "{}: {:?}\n  `{}`\n  stdout: {}\n  stderr: {}",
                sn.origin,
                out.status,
                sn.text,
                tail(&out.stdout),
                tail(&out.stderr)
            ));
        }
    }
    if let Ok(t) = fs::read_to_string(&s.not_run) {
        notes.extend(t.lines().map(|l| format!("not run ({}): {l}", src.name)));
    }
    (failures, notes)
}

#[test]
fn every_documented_command_runs() {
    let sources = all_sources();
    let wrong: Vec<&String> = sources.iter().flat_map(|s| &s.wrong_form).collect();
    assert!(
        wrong.is_empty(),
        "write commands as `{RUN}SUBCOMMAND ...` (nothing puts `cascade` on the PATH):\n{}",
        wrong
            .iter()
            .map(|w| w.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let count: usize = sources.iter().map(|s| s.snippets.len()).sum();
    // README: set-up, sim, replay, stress; docs: replay, stress, merge
    // check; help: one per subcommand at least.
    assert!(
        count >= 15,
        "only {count} commands found: is the extractor broken?"
    );
    let results: Vec<(Vec<String>, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .map(|src| scope.spawn(move || run_source(src)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a source's runner does not panic"))
            .collect()
    });
    let mut failures = Vec::new();
    for (f, notes) in results {
        failures.extend(f);
        for n in notes {
            eprintln!("{n}");
        }
    }
    eprintln!("{count} documented commands checked");
    assert!(
        failures.is_empty(),
        "{} documented command(s) fail when pasted:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The checker itself: a stale example, an unknown cargo form and the
/// `cascade SUB` form are caught; a span over a line break is read whole.
#[test]
fn a_stale_example_fails() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let md = dir.path().join("x.md");
    fs::write(
        &md,
        "Run `cargo run --release -- replay --format binance\nno-such-file.gz --out o` now.\n\n```sh\ncargo build --release\ncascade demo\n```\n\n```sh\n#!/bin/bash\ncascade stress x.toml\n```\n",
    )
    .expect("write the sample");
    let src = markdown_source(&md);
    assert_eq!(src.snippets.len(), 2, "{src:?}");
    assert_eq!(
        src.snippets[0].text,
        "cargo run --release -- replay --format binance no-such-file.gz --out o"
    );
    assert_eq!(src.wrong_form.len(), 1, "{src:?}");
    assert!(src.wrong_form[0].ends_with(":6: cascade demo"), "{src:?}");
    let (failures, _) = run_source(&src);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0].contains("no-such-file.gz"), "{}", failures[0]);
    assert!(failures[1].contains("neither"), "{}", failures[1]);
}
