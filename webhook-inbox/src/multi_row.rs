//! Statements for many rows at once, written out from their parts ([`SqlText`]): the
//! text before the rows, one parenthesised list of parameters per row or one list of
//! many, the text after. Each size is written once per process ([`BySize`]), so that
//! its text is the same every time and it stays prepared.

use std::sync::OnceLock;

/// How a backend writes a statement's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parameters {
    /// `$1`, `$2`, ... in order (Postgres).
    #[cfg(feature = "postgres")]
    Numbered,
    /// `?`, bound in order (SQLite: it looks a numbered parameter up by its name, a
    /// linear search at every binding, so hundreds of `?NNN` would cost quadratic time).
    #[cfg(feature = "sqlite")]
    Anonymous,
}

/// A statement being written: its text so far, and how many parameters it has.
#[derive(Debug)]
pub(crate) struct SqlText {
    sql: String,
    parameters: Parameters,
    written: usize,
}

impl SqlText {
    /// An empty statement whose parameters are written as `parameters` says.
    pub(crate) fn new(parameters: Parameters) -> Self {
        Self {
            sql: String::with_capacity(512),
            parameters,
            written: 0,
        }
    }

    /// Appends `sql` as it is.
    pub(crate) fn push(mut self, sql: &str) -> Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends `count` parameters, separated by commas.
    pub(crate) fn parameters(mut self, count: usize) -> Self {
        for at in 0..count {
            if at > 0 {
                self.sql.push_str(", ");
            }
            self.written += 1;
            match self.parameters {
                #[cfg(feature = "postgres")]
                Parameters::Numbered => {
                    self.sql.push('$');
                    self.sql.push_str(&self.written.to_string());
                }
                #[cfg(feature = "sqlite")]
                Parameters::Anonymous => self.sql.push('?'),
            }
        }
        self
    }

    /// Appends `rows` arms ` WHEN <parameter> THEN <parameter>` of a `CASE`: a value
    /// per row, picked by the row's key.
    #[cfg(feature = "sqlite")]
    pub(crate) fn cases(mut self, rows: usize) -> Self {
        for _ in 0..rows {
            self = self
                .push(" WHEN ")
                .parameters(1)
                .push(" THEN ")
                .parameters(1);
        }
        self
    }

    /// Appends `rows` lists `(<per_row parameters><end>)`, separated by commas: the
    /// values of a multi-row `INSERT`.
    pub(crate) fn rows(mut self, rows: usize, per_row: usize, end: &str) -> Self {
        for row in 0..rows {
            if row > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('(');
            self = self.parameters(per_row).push(end).push(")");
        }
        self
    }

    /// The statement.
    pub(crate) fn finish(self) -> String {
        self.sql
    }
}

/// A statement in every size from 1 to `most` rows, each written by `write` the first
/// time any is asked for.
#[derive(Debug)]
pub(crate) struct BySize {
    most: usize,
    write: fn(usize) -> String,
    written: OnceLock<Vec<String>>,
}

impl BySize {
    /// Sizes 1 to `most`, written by `write` (given the number of rows).
    pub(crate) const fn new(most: usize, write: fn(usize) -> String) -> Self {
        Self {
            most,
            write,
            written: OnceLock::new(),
        }
    }

    /// The statement for `rows` rows (1 to the most).
    pub(crate) fn get(&self, rows: usize) -> &str {
        let written = self
            .written
            .get_or_init(|| (1..=self.most).map(self.write).collect());
        &written[rows - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(feature = "sqlite", feature = "postgres"))]
    fn parameters_are_numbered_in_order_or_left_anonymous() {
        let numbered = SqlText::new(Parameters::Numbered)
            .push("UPDATE t SET x = 1 WHERE id IN (")
            .parameters(2)
            .push(") AND owner IN (")
            .parameters(2)
            .push(")")
            .finish();
        assert_eq!(
            numbered,
            "UPDATE t SET x = 1 WHERE id IN ($1, $2) AND owner IN ($3, $4)"
        );
        let anonymous = SqlText::new(Parameters::Anonymous)
            .push("INSERT INTO t VALUES ")
            .rows(2, 3, "")
            .finish();
        assert_eq!(anonymous, "INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)");
    }

    #[test]
    fn each_size_is_written_once() {
        static WRITTEN: BySize = BySize::new(3, |rows| format!("{rows} rows"));
        assert_eq!((WRITTEN.get(1), WRITTEN.get(3)), ("1 rows", "3 rows"));
        assert!(std::ptr::eq(WRITTEN.get(2), WRITTEN.get(2)));
    }
}
