//! Functions the user asked us not to instrument, in clang's
//! `-fsanitize-ignorelist` format (LLVM's SpecialCaseList), so one file
//! serves clang's sanitizers and tagsan:
//!
//! ```text
//! # comment
//! fun:my_hot_function        # function (mangled) name glob
//! src:third_party/*          # source file glob
//! [hwaddress]                # entries below apply to hwaddress/tagsan only
//! fun:_ZN3foo*
//! [address]                  # other sanitizers' sections are ignored
//! fun:asan_only
//! ```
//!
//! Entries before the first section apply to every sanitizer. Section
//! names are globs matched against `hwaddress` and `tagsan`. An entry with a
//! category (`fun:foo=init`) means something else to clang's sanitizers and
//! is ignored. Prefixes other than `fun:` and `src:` (`global:`, `type:`,
//! `mainfile:`) do not concern this pass and are accepted and ignored.
//! Globs: `*`, `?`, `[a-z]`, `[!a-z]`, `{a,b}`, `\` escapes.

#[derive(Debug, Default)]
pub struct Ignorelist {
    funs: Vec<String>,
    srcs: Vec<String>,
}

const OUR_SECTIONS: [&str; 2] = ["hwaddress", "tagsan"];

impl Ignorelist {
    /// Reads and parses `path`; the error is one line naming the file.
    pub fn load(path: &str) -> Result<Ignorelist, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("tagsan: cannot read ignorelist '{path}': {e}"))?;
        Self::parse(&text)
            .map_err(|(line, msg)| format!("tagsan: ignorelist '{path}' line {line}: {msg}"))
    }

    fn parse(text: &str) -> Result<Ignorelist, (usize, String)> {
        let mut list = Ignorelist::default();
        let mut in_our_section = true;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest
                    .strip_suffix(']')
                    .ok_or_else(|| (line_no, format!("malformed section header '{line}'")))?;
                if name.is_empty() {
                    return Err((line_no, "empty section header '[]'".into()));
                }
                in_our_section = OUR_SECTIONS.iter().any(|s| glob_match(name, s));
                continue;
            }
            let (prefix, rest) = line.split_once(':').ok_or_else(|| {
                (
                    line_no,
                    format!("malformed line '{line}' (expected prefix:glob)"),
                )
            })?;
            let (pattern, category) = match rest.split_once('=') {
                Some((p, c)) => (p, Some(c)),
                None => (rest, None),
            };
            if pattern.is_empty() {
                return Err((line_no, format!("empty pattern in '{line}'")));
            }
            if !in_our_section || category.is_some_and(|c| !c.is_empty()) {
                continue;
            }
            match prefix {
                "fun" => list.funs.push(pattern.to_string()),
                "src" => list.srcs.push(pattern.to_string()),
                _ => {}
            }
        }
        Ok(list)
    }

    pub fn matches_function(&self, name: &str) -> bool {
        self.funs.iter().any(|g| glob_match(g, name))
    }

    pub fn matches_source(&self, file: &str) -> bool {
        self.srcs.iter().any(|g| glob_match(g, file))
    }
}

/// Glob matching in the style of LLVM's GlobPattern.
fn glob_match(pattern: &str, text: &str) -> bool {
    // Expand the first {a,b,...} group, then recurse (groups are rare and short).
    if let Some(open) = find_unescaped(pattern, '{') {
        if let Some(close_rel) = find_unescaped(&pattern[open..], '}') {
            let close = open + close_rel;
            let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
            return pattern[open + 1..close]
                .split(',')
                .any(|alt| glob_match(&format!("{head}{alt}{tail}"), text));
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    match_from(&p, &t)
}

fn find_unescaped(s: &str, wanted: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == wanted => return Some(i),
            _ => {}
        }
    }
    None
}

fn match_from(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|skip| match_from(&p[1..], &t[skip..])),
        Some('?') => !t.is_empty() && match_from(&p[1..], &t[1..]),
        Some('[') => match (t.first(), parse_class(&p[1..])) {
            (Some(&c), Some((set_matches, used))) => {
                set_matches(c) && match_from(&p[1 + used..], &t[1..])
            }
            // An unterminated class matches a literal '['.
            (Some('['), None) => match_from(&p[1..], &t[1..]),
            _ => false,
        },
        Some('\\') if p.len() > 1 => t.first() == Some(&p[1]) && match_from(&p[2..], &t[1..]),
        Some(&c) => t.first() == Some(&c) && match_from(&p[1..], &t[1..]),
    }
}

/// Parses `a-z]` / `!a-z]` (after the '['); returns a matcher and how many
/// pattern chars it used, including the ']'.
#[allow(clippy::type_complexity)]
fn parse_class(p: &[char]) -> Option<(Box<dyn Fn(char) -> bool>, usize)> {
    let (negate, start) = match p.first() {
        Some('!') | Some('^') => (true, 1),
        _ => (false, 0),
    };
    let mut ranges = Vec::new();
    let mut i = start;
    while i < p.len() {
        if p[i] == ']' && i > start {
            return Some((
                Box::new(move |c| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negate),
                i + 1,
            ));
        }
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            ranges.push((p[i], p[i + 2]));
            i += 3;
        } else {
            ranges.push((p[i], p[i]));
            i += 1;
        }
    }
    None
}
