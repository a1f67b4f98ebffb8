//! "did you mean" for misspelt keys and values: the closest valid one by edit distance.

/// The candidate closest to `written`, when it is close enough to be a likely typo.
pub(crate) fn closest<'a>(written: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = written.chars().count().div_ceil(3).max(1);
    candidates
        .iter()
        .map(|candidate| (edit_distance(written, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The error for an unknown `what` named `written`: a suggestion when one is close,
/// else the list of valid choices.
pub(crate) fn unknown(what: &str, written: &str, candidates: &[&str]) -> String {
    match closest(written, candidates) {
        Some(near) => format!("unknown {what} `{written}`; did you mean `{near}`?"),
        None => format!(
            "unknown {what} `{written}`, expected {}",
            one_of(candidates)
        ),
    }
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
pub(crate) fn one_of(candidates: &[&str]) -> String {
    let quoted: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    match quoted.as_slice() {
        [only] => only.clone(),
        [first, second] => format!("{first} or {second}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key() {
        assert_eq!(
            closest("provder", &["provider", "crate", "vis"]),
            Some("provider")
        );
        assert_eq!(
            closest("krate", &["provider", "crate", "vis"]),
            Some("crate")
        );
        assert_eq!(closest("colour", &["provider", "crate", "vis"]), None);
    }

    #[test]
    fn lists_the_choices_when_nothing_is_near() {
        let message = unknown("argument", "colour", &["provider", "crate", "vis"]);
        assert_eq!(
            message,
            "unknown argument `colour`, expected one of `provider`, `crate`, `vis`"
        );
    }
}
