//! The fuzz harnesses on stable: every committed corpus file under `fuzz/corpus/<target>/` is fed
//! to the same harness function the cargo-fuzz target runs (`fuzz/harness.rs`), and proptest feeds
//! each harness arbitrary bytes. A harness panics on a crash or on a broken property, so this fails
//! exactly where the fuzzer would.

#[allow(dead_code)]
#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

use proptest::prelude::*;

fn corpus_dir(target: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target)
}

#[test]
fn every_committed_corpus_file_passes_its_harness() {
    for (target, harness) in harness::TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("a readable directory entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus for {target} in {}", dir.display());
        for file in files {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let outcome = std::panic::catch_unwind(|| harness(&data));
            assert!(outcome.is_ok(), "{target} failed on {}", file.display());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes, to every decoder: `Ok` or `Err`, never a panic (nor a broken property).
    #[test]
    fn any_bytes_to_any_decoder_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        for (_, harness) in harness::TARGETS {
            harness(&data);
        }
    }

    /// The same with JSON-ish text, which gets further into the decoders than random bytes.
    #[test]
    fn json_like_text_never_panics(head in any::<u8>(), text in r#"[\{\}\[\]":,0-9a-z_ .\-e]{0,200}"#) {
        let mut data = vec![head];
        data.extend_from_slice(text.as_bytes());
        for (_, harness) in harness::TARGETS {
            harness(&data);
        }
    }
}
