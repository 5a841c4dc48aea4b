//! Architecture fitness (issue 20): dependencies between modules point one
//! way. This reads the `crate::…` paths in `server/src` and `app/src` (test
//! modules left out) and finds every cycle between modules: the top-level
//! modules of each crate, and each page and server-function module of `app`
//! on its own, since those are where features meet.
//!
//! The cycles that existed when the test was written are listed in
//! [`KNOWN`], and the list may only shrink: a cycle that is not part of a
//! known one fails the test and prints its path, and a known one that has
//! shrunk or gone fails it until the list says so, so that it cannot grow
//! back unnoticed.
use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Cycles still to be broken, each as its modules in sorted order. Empty
/// since 2026-12-07: the last one (ten domain modules) was taken apart by
/// issue 20, so any cycle now fails the test.
const KNOWN: &[&[&str]] = &[];

/// The module a source file belongs to: `server::oauth` for
/// `server/src/oauth/tokens.rs`, `app::pages::review` for a page.
fn module_of(krate: &str, relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let first = parts.first()?;
    if matches!(first.as_str(), "lib" | "main") {
        return None;
    }
    // Test modules in files of their own (`mod tests;` under `#[cfg(test)]`)
    // and the fixtures they share (`testing.rs`) may reach anything: they are
    // left out like a test module inside a file.
    if parts.last().is_some_and(|p| p == "tests" || p == "testing") {
        return None;
    }
    if krate == "app" && matches!(first.as_str(), "pages" | "api") {
        return match parts.get(1).map(String::as_str) {
            None | Some("mod") => Some(format!("app::{first}")),
            Some(second) => Some(format!("app::{first}::{second}")),
        };
    }
    Some(format!("{krate}::{first}"))
}

/// The code of a file without its test module, comments and string
/// literals, so that only real paths remain.
fn code_of(text: &str) -> String {
    // Only a test *module* is cut off: a `#[cfg(test)]` helper function
    // (`db::in_memory`) is followed by code that still counts.
    let test_module = text.match_indices("#[cfg(test)]").find(|(at, marker)| {
        let after = text[at + marker.len()..].trim_start();
        after.starts_with("mod ") || after.starts_with("pub(crate) mod ")
    });
    let text = match test_module {
        Some((at, _)) => &text[..at],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            c => out.push(c),
        }
    }
    out
}

/// The paths a `use` tree or a path expression starting at `text` names,
/// each cut to its first two segments: `oauth::{grants, scopes}` gives
/// `oauth::grants` and `oauth::scopes`.
fn paths_in(text: &str, before: &[String], out: &mut Vec<Vec<String>>) {
    let mut segments = before.to_vec();
    let mut rest = text.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = 0;
            for (at, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        paths_in(&group[item_start..at], &segments, out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths_in(&group[item_start..at], &segments, out);
                        item_start = at + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segments.push(rest[..end].to_string());
        if segments.len() >= 2 {
            break;
        }
        match rest[end..].trim_start().strip_prefix("::") {
            Some(next) => rest = next.trim_start(),
            None => break,
        }
    }
    if !segments.is_empty() {
        out.push(segments);
    }
}

/// The module path of a file: `oauth::tokens` for `oauth/tokens.rs`,
/// `oauth` for `oauth/mod.rs`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The modules of `krate` that `code` (the file of module `path`) names:
/// through `crate::…` paths and use trees, and `super::…` ones, which name
/// a sibling of the file's module.
fn references(
    krate: &str,
    code: &str,
    path: &[String],
    reexports: &[(String, String)],
) -> BTreeSet<String> {
    let mut paths = Vec::new();
    let parent = &path[..path.len().saturating_sub(1)];
    for (prefix, base) in [("crate::", &[][..]), ("super::", parent)] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `mycrate::`, or `super::super::` seen from its second half
            }
            let mut found = Vec::new();
            paths_in(rest, &[], &mut found);
            for mut segments in found {
                let mut full = base.to_vec();
                full.append(&mut segments);
                full.truncate(2);
                paths.push(full);
            }
        }
    }
    paths
        .into_iter()
        .filter(|segments| !segments.is_empty())
        .map(|mut segments| {
            // A name the crate root re-exports is its module's.
            if let Some((_, module)) = reexports.iter().find(|(name, _)| *name == segments[0]) {
                segments[0] = module.clone();
            }
            let first = &segments[0];
            match segments.get(1) {
                // A page or server-function module, not a type in `api`.
                Some(second)
                    if krate == "app"
                        && matches!(first.as_str(), "pages" | "api")
                        && second.chars().next().is_some_and(|c| c.is_lowercase()) =>
                {
                    format!("app::{first}::{second}")
                }
                _ => format!("{krate}::{first}"),
            }
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// What the crate root re-exports from its modules (`pub use config::Settings;`
/// makes `crate::Settings` a use of `config`), as (name, module).
fn reexports_of(lib: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in code_of(lib).lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let mut found = Vec::new();
        paths_in(rest, &[], &mut found);
        for segments in found {
            if let [module, name] = &segments[..] {
                out.push((name.clone(), module.clone()));
            }
        }
    }
    out
}

/// Every module's dependencies on other modules of its own crate.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for krate in ["server", "app"] {
        let src = root.join(krate).join("src");
        let reexports = reexports_of(&std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs"));
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let relative = file.strip_prefix(&src).expect("under src");
            let Some(from) = module_of(krate, relative) else {
                continue;
            };
            let code = code_of(&std::fs::read_to_string(&file).expect("readable"));
            let targets = graph.entry(from.clone()).or_default();
            for to in references(krate, &code, &module_path(relative), &reexports) {
                // `app::pages` (its mod.rs) holds the router that names
                // every page: that is the tree, not a dependency back.
                let parent_of =
                    |child: &str, parent: &str| child.starts_with(&format!("{parent}::"));
                if to != from && !parent_of(&from, &to) && !parent_of(&to, &from) {
                    targets.insert(to);
                }
            }
        }
    }
    graph
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found.sort();
    state.found
}

/// One path around `component`, as `a → b → … → a`, for the message.
fn a_path_around(graph: &BTreeMap<String, BTreeSet<String>>, component: &[String]) -> String {
    let inside: BTreeSet<&str> = component.iter().map(String::as_str).collect();
    let start = component[0].as_str();
    // Breadth-first from the start's successors back to the start.
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !inside.contains(w) || came_from.contains_key(w) {
                continue;
            }
            came_from.insert(w, v);
            if w == start {
                let mut path = vec![start];
                let mut at = v;
                while at != start {
                    path.push(at);
                    at = came_from[at];
                }
                path.push(start);
                path.reverse();
                return path.join(" → ");
            }
            queue.push_back(w);
        }
    }
    component.join(", ")
}

#[test]
fn module_dependencies_have_no_new_cycles() {
    let graph = graph();
    assert!(
        graph.contains_key("server::oauth") && graph.contains_key("app::pages::review"),
        "the source tree was read: {:?}",
        graph.keys().collect::<Vec<_>>()
    );
    let found = cycles(&graph);
    let known: Vec<BTreeSet<String>> = KNOWN
        .iter()
        .map(|c| c.iter().map(|m| m.to_string()).collect())
        .collect();
    // A cycle may only be (part of) one already known.
    let new: Vec<String> = found
        .iter()
        .filter(|c| {
            let c: BTreeSet<String> = c.iter().cloned().collect();
            !known.iter().any(|k| c.is_subset(k))
        })
        .map(|c| format!("{c:?}: {}", a_path_around(&graph, c)))
        .collect();
    assert!(
        new.is_empty(),
        "modules that depend on each other (break the cycle; dependencies point UI → server functions → domain → core):\n{}",
        new.join("\n")
    );
    // And a known one that shrank or went is written down as it is now, so
    // that it cannot grow back unnoticed.
    let as_found: BTreeSet<BTreeSet<String>> =
        found.iter().map(|c| c.iter().cloned().collect()).collect();
    let stale: Vec<&BTreeSet<String>> = known.iter().filter(|k| !as_found.contains(*k)).collect();
    assert!(
        stale.is_empty(),
        "known cycles have shrunk or gone: set KNOWN to {found:?}"
    );
}

#[test]
fn the_reader_finds_paths_the_way_rust_writes_them() {
    let code = code_of(
        "use crate::{oauth::{grants, scopes}, cache};\n// crate::mail is a comment\nlet s = \"crate::audit\";\nfn f() { crate::review::contacts::of(); mycrate::other(); }\n#[cfg(test)]\nmod tests { use crate::apps; }",
    );
    let found = references("server", &code, &["access".to_string()], &[]);
    let expected: BTreeSet<String> = ["server::cache", "server::oauth", "server::review"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
    // A test-only helper is not a test module: what follows it still counts.
    let helper = code_of("#[cfg(test)]\npub fn fixture() {}\nfn f() { crate::jobs::run(); }");
    let found = references("server", &helper, &[], &[]);
    assert!(found.contains("server::jobs"), "{found:?}");
    let app = references(
        "app",
        "use crate::pages::{review::Review, access};\nuse crate::api::AppError;",
        &["components".to_string()],
        &[],
    );
    assert!(
        app.contains("app::pages::review") && app.contains("app::api"),
        "{app:?}"
    );
    // `super::` in a page names a sibling page.
    let sibling = references(
        "app",
        "let f = super::review::access_feedback(id);",
        &["pages".to_string(), "access".to_string()],
        &[],
    );
    assert_eq!(sibling, BTreeSet::from(["app::pages::review".to_string()]));
    let reexports = reexports_of("pub use config::Settings;\npub use sea_orm;");
    assert_eq!(reexports, [("Settings".to_string(), "config".to_string())]);
    let via_root = references(
        "server",
        "fn f(s: &crate::Settings) {}",
        &["db".to_string()],
        &reexports,
    );
    assert_eq!(via_root, BTreeSet::from(["server::config".to_string()]));
    let mut graph = BTreeMap::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph
            .entry(from.to_string())
            .or_insert_with(BTreeSet::new)
            .insert(to.to_string());
    }
    graph.insert("d".into(), BTreeSet::new());
    let found = cycles(&graph);
    assert_eq!(found, vec![vec!["a".to_string(), "b".into(), "c".into()]]);
    assert_eq!(a_path_around(&graph, &found[0]), "a → b → c → a");
}

/// The files, outside tests, that write `column` of `entity` in an update
/// (`entity::Column::Name` inside a `col_expr`).
fn writers_of(entity: &str, column: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let src = root.join("server").join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let needle = format!("{entity}::Column::{column}");
    let mut out: Vec<String> = files
        .iter()
        .filter(|path| {
            let code = code_of(&std::fs::read_to_string(path).expect("a source file"));
            let flat: String = code.split_whitespace().collect();
            flat.match_indices("col_expr(")
                .any(|(at, _)| flat[at..].starts_with(&format!("col_expr({needle},")))
        })
        .map(|path| {
            path.strip_prefix(&src)
                .expect("under src")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    out.sort();
    out
}

/// Each state machine is a type with one transition function, and that
/// function is the only code that writes the state column, so every move
/// goes through the rule and its compare-and-set (issue 20).
#[test]
fn only_the_transition_functions_write_a_state() {
    assert_eq!(
        writers_of("access_request", "State"),
        ["applications/transition.rs"],
        "write the state through applications::transition (or update_in_state for other columns)"
    );
    assert_eq!(
        writers_of("demo_booking", "Status"),
        ["review/booking.rs"],
        "end a booking through review::booking::transition"
    );
    // Policy changes keep their one writer, `transition`, in their module.
    assert_eq!(
        writers_of("policy_change", "State"),
        ["policy_changes/mod.rs"]
    );
}
