//! Generates `ui/src/bindings/commands.ts`: one typed function per command
//! the window can call, read from the `#[tauri::command]` signatures and the
//! handler list in `main.rs`. The frontend calls these, never `invoke` by
//! name, so a renamed command or argument fails the UI's type check instead
//! of a click. `scripts/test` fails when the committed file is not current,
//! as it does for the ts-rs view types.
//!
//! Why not tauri-specta: it needs its own derive on every view type beside
//! ts-rs, and a release candidate of it tied to particular tauri versions;
//! the signatures are plain Rust, and `syn` reads them exactly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::{FnArg, GenericArgument, Item, PathArguments, ReturnType, Type};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn bindings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings")
}

/// The command paths in `generate_handler![…]`, as written (`commands::review::approve`).
fn handler_list() -> Vec<Vec<String>> {
    let main = std::fs::read_to_string(src().join("main.rs")).unwrap();
    let start = main.find("generate_handler![").expect("main.rs registers its commands with generate_handler!");
    let rest = &main[start + "generate_handler![".len()..];
    let list = &rest[..rest.find(']').unwrap()];
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.split("::").map(str::to_owned).collect())
        .collect()
}

/// The file a command path's module is in: `commands::review` → `src/commands/review.rs`.
fn module_file(module: &[String]) -> PathBuf {
    let dir = src().join(module.join("/"));
    if dir.join("mod.rs").exists() { dir.join("mod.rs") } else { dir.with_extension("rs") }
}

fn is_command(f: &syn::ItemFn) -> bool {
    f.attrs.iter().any(|a| {
        let segments: Vec<String> = a.path().segments.iter().map(|s| s.ident.to_string()).collect();
        segments == ["tauri", "command"] || segments == ["command"]
    })
}

fn commands_in(file: &Path) -> Vec<syn::ItemFn> {
    let parsed = syn::parse_file(&std::fs::read_to_string(file).unwrap()).unwrap();
    parsed
        .items
        .into_iter()
        .filter_map(|i| match i {
            Item::Fn(f) if is_command(&f) => Some(f),
            _ => None,
        })
        .collect()
}

/// `variant_id` → `variantId`, as Tauri names command arguments on the JavaScript side.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn generic_args(segment: &syn::PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The TypeScript for a Rust type crossing IPC; named types must be ts-rs bindings.
fn ts(ty: &Type, imports: &mut BTreeSet<String>) -> String {
    match ty {
        Type::Reference(r) => ts(&r.elem, imports),
        Type::Tuple(t) if t.elems.is_empty() => "void".into(),
        Type::Path(p) => {
            let last = p.path.segments.last().unwrap();
            let args = generic_args(last);
            match (last.ident.to_string().as_str(), args.as_slice()) {
                ("String" | "str" | "PathBuf", _) => "string".into(),
                ("bool", _) => "boolean".into(),
                ("i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "f32" | "f64", _) => {
                    "number".into()
                }
                ("Option", [inner]) => format!("{} | null", ts(inner, imports)),
                ("Vec", [inner]) => format!("Array<{}>", ts(inner, imports)),
                ("Result", [ok, ..]) => ts(ok, imports),
                ("Channel", [inner]) => {
                    imports.insert("Channel".into());
                    format!("Channel<{}>", ts(inner, imports))
                }
                (name, []) => {
                    assert!(
                        bindings().join(format!("{name}.ts")).exists(),
                        "{name} crosses IPC but has no ts-rs binding: derive TS and #[ts(export)] it"
                    );
                    imports.insert(name.to_owned());
                    name.to_owned()
                }
                (other, _) => panic!("no TypeScript for {other}<…>: add it to ipc_commands.rs"),
            }
        }
        _ => panic!("no TypeScript for a type that is not a path, a reference or (): add it to ipc_commands.rs"),
    }
}

/// Arguments Tauri fills in itself, which the window does not pass.
fn injected(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let last = p.path.segments.last().unwrap().ident.to_string();
    matches!(last.as_str(), "State" | "AppHandle" | "Window" | "WebviewWindow" | "Webview")
}

/// The doc comment's first paragraph, for the function's own.
fn doc(f: &syn::ItemFn) -> Vec<String> {
    f.attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn generate() -> String {
    let mut imports = BTreeSet::new();
    let mut body = String::new();
    for path in handler_list() {
        let (name, module) = path.split_last().unwrap();
        let file = module_file(module);
        let f = commands_in(&file).into_iter().find(|f| f.sig.ident == name).unwrap_or_else(|| {
            panic!("{} is registered but {} has no #[tauri::command] fn {name}", path.join("::"), file.display())
        });
        let mut params = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for input in &f.sig.inputs {
            let FnArg::Typed(arg) = input else { continue };
            if injected(&arg.ty) {
                continue;
            }
            let syn::Pat::Ident(id) = &*arg.pat else { panic!("{name}: an argument without a plain name") };
            let js = camel(&id.ident.to_string());
            params.push(format!("{js}: {}", ts(&arg.ty, &mut imports)));
            names.push(js);
        }
        let returns = match &f.sig.output {
            ReturnType::Default => "void".to_owned(),
            ReturnType::Type(_, ty) => ts(ty, &mut imports),
        };
        let lines = doc(&f);
        if !lines.is_empty() {
            let _ = writeln!(body, "/** {} */", lines.join(" ").replace("*/", "* /"));
        }
        // One object of named arguments, as `invoke` takes them: two strings
        // cannot trade places at a call site without the type check noticing.
        let (takes, passes) = if names.is_empty() {
            (String::new(), "")
        } else {
            (format!("args: {{ {} }}", params.join("; ")), ", args")
        };
        let _ = writeln!(
            body,
            "export function {}({takes}): Promise<{returns}> {{\n  return call<{returns}>(\"{name}\"{passes});\n}}\n",
            camel(name),
        );
    }
    let mut out = String::from(
        "// Generated from the #[tauri::command] signatures by src-tauri/tests/ipc_commands.rs\n\
         // (`cargo test -p repurpose-studio`). Do not edit this file manually.\n",
    );
    if imports.remove("Channel") {
        out.push_str("import type { Channel } from \"@tauri-apps/api/core\";\n");
    }
    out.push_str("import { call } from \"../lib/ipc\";\n");
    for name in &imports {
        let _ = writeln!(out, "import type {{ {name} }} from \"./{name}\";");
    }
    out.push('\n');
    out.push_str(&body);
    out.trim_end().to_owned() + "\n"
}

#[test]
fn the_typed_command_functions_are_current() {
    let wanted = generate();
    let file = bindings().join("commands.ts");
    if std::fs::read_to_string(&file).ok().as_deref() != Some(wanted.as_str()) {
        std::fs::write(&file, wanted).unwrap();
    }
}

/// A `#[tauri::command]` left out of `generate_handler!` would fail only when clicked.
#[test]
fn every_command_is_registered() {
    let registered: BTreeSet<String> = handler_list().iter().map(|p| p.last().unwrap().clone()).collect();
    let mut files = vec![src().join("main.rs")];
    for entry in std::fs::read_dir(src().join("commands")).unwrap() {
        files.push(entry.unwrap().path());
    }
    for file in files {
        for f in commands_in(&file) {
            let name = f.sig.ident.to_string();
            assert!(registered.contains(&name), "{name} in {} is not in generate_handler!", file.display());
        }
    }
    assert_eq!(camel("variant_id"), "variantId");
    assert_eq!(camel("approve"), "approve");
}

/// The screens call the generated functions only: a command invoked by its
/// name as a string would escape the type check this file exists for.
#[test]
fn the_screens_call_commands_only_through_the_generated_functions() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src");
    let mut stack = vec![ui.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path != ui.join("bindings") {
                    stack.push(path);
                }
                continue;
            }
            if path == ui.join("lib/ipc.ts")
                || !matches!(path.extension().and_then(|e| e.to_str()), Some("ts" | "svelte"))
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for needle in ["invoke(", "invoke<", "call(\"", "call<"] {
                assert!(
                    !text.contains(needle),
                    "{} calls a command by name ({needle}…): use ../bindings/commands",
                    path.display()
                );
            }
        }
    }
}
