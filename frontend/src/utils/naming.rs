//! Default object names (Keras's `keras.src.utils.naming`): the per-prefix counters behind
//! `keras.backend.get_uid` and the automatic layer names (`dense`, `dense_1`, ...).
//!
//! One process-wide table of counters, shared by [`get_uid`] and [`uniquify`] as in Keras;
//! `keras.config::clear_session` empties it (so the next `Dense` is named `dense` again).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

static UIDS: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);

fn uids() -> MutexGuard<'static, Option<HashMap<String, u64>>> {
    // A table of counters stays valid after any panic: recover from poisoning.
    UIDS.lock().unwrap_or_else(|e| e.into_inner())
}

/// `keras.backend.get_uid(prefix)`: increments the counter of `prefix` and returns it, so the
/// first call for a prefix gives 1, the next 2, ... (until `clear_session`).
///
/// ```
/// # use wgkeras_frontend::utils::naming::get_uid;
/// let a = get_uid("doc_example_prefix");
/// assert_eq!(get_uid("doc_example_prefix"), a + 1);
/// ```
pub fn get_uid(prefix: &str) -> u64 {
    let mut g = uids();
    let n = g.get_or_insert_with(HashMap::new).entry(prefix.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// Keras's `uniquify(name)`: `name` the first time, then `name_1`, `name_2`, ... (shares the
/// counters of [`get_uid`]).
pub fn uniquify(name: &str) -> String {
    let mut g = uids();
    let n = g.get_or_insert_with(HashMap::new).entry(name.to_string()).or_insert(0);
    let out = if *n == 0 { name.to_string() } else { format!("{name}_{n}") };
    *n += 1;
    out
}

/// Keras's `auto_name(prefix)`: the default name of an object of class `prefix`
/// (`"Dense"` gives `dense`, then `dense_1`, ...): [`uniquify`] of [`to_snake_case`].
pub fn auto_name(prefix: &str) -> String {
    uniquify(&to_snake_case(prefix))
}

/// Forgets every counter (Keras's `reset_uids`; part of `clear_session`).
pub fn reset_uids() {
    *uids() = None;
}

/// Keras's `to_snake_case`: drops the characters that are not letters, digits or `_`, puts
/// `_` between words (`"BatchNormalization"` gives `batch_normalization`, `"Conv2DTranspose"`
/// gives `conv2d_transpose`) and lowercases.
pub fn to_snake_case(name: &str) -> String {
    // re.sub(r"\W+", "", name)
    let c: Vec<char> = name.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    // re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name): leftmost, non-overlapping matches.
    let mut a = Vec::with_capacity(c.len() + 4);
    let mut i = 0;
    while i < c.len() {
        if i + 2 < c.len() && c[i + 1].is_ascii_uppercase() && c[i + 2].is_ascii_lowercase() {
            let mut j = i + 3;
            while j < c.len() && c[j].is_ascii_lowercase() {
                j += 1;
            }
            a.push(c[i]);
            a.push('_');
            a.extend_from_slice(&c[i + 1..j]);
            i = j;
        } else {
            a.push(c[i]);
            i += 1;
        }
    }
    // re.sub("([a-z])([A-Z])", r"\1_\2", name), then .lower()
    let mut out = String::with_capacity(a.len() + 4);
    let mut i = 0;
    while i < a.len() {
        if i + 1 < a.len() && a[i].is_ascii_lowercase() && a[i + 1].is_ascii_uppercase() {
            out.push(a[i]);
            out.push('_');
            out.push(a[i + 1]);
            i += 2;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_matches_keras() {
        // Expected values from keras.src.utils.naming.to_snake_case (Keras 3.15.1).
        for (name, want) in [
            ("Dense", "dense"),
            ("BatchNormalization", "batch_normalization"),
            ("Conv2DTranspose", "conv2d_transpose"),
            ("LSTMCell", "lstm_cell"),
            ("XAbCd", "x_ab_cd"),
            ("ABCd", "ab_cd"),
            ("my-layer name!", "mylayername"),
            ("already_snake", "already_snake"),
            ("GRUCell", "gru_cell"),
            ("HTTPServerX", "http_server_x"),
            ("aBC", "a_bc"),
            ("", ""),
        ] {
            assert_eq!(to_snake_case(name), want, "{name}");
        }
    }

    #[test]
    fn uniquify_and_get_uid_share_counters() {
        // A prefix no other test uses: the table is process-wide.
        assert_eq!(uniquify("naming_unit_test"), "naming_unit_test");
        assert_eq!(uniquify("naming_unit_test"), "naming_unit_test_1");
        assert_eq!(get_uid("naming_unit_test"), 3);
        assert_eq!(auto_name("NamingUnitTest"), "naming_unit_test_3");
    }
}
