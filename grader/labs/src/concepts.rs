//! The socket concepts the labs teach, each a chapter of the handbook
//! (docs/concepts/), and which of them a check is about.
//!
//! A check's concepts are found from its own words (its id, its sentence and its
//! handout entry), so a new lab needs no entry here: a check that talks about datagrams
//! points at the UDP chapter, one about `<EOF>` or newlines at framing.

/// One chapter of the handbook about one concept.
pub struct Concept {
    pub title: &'static str,
    /// The chapter, relative to the workspace root.
    pub page: &'static str,
    /// Words that show a check is about this concept (matched case-insensitively).
    words: &'static [&'static str],
}

pub const CONCEPTS: &[Concept] = &[
    Concept {
        title: "TCP is a byte stream",
        page: "docs/concepts/byte-stream.md",
        words: &[
            "byte stream",
            "one read",
            "single read",
            "read()",
            "recv(",
            "pipelined",
            "one write",
            "single write",
            "per write",
            "in pieces",
            "two pieces",
            "split",
            "partial",
            "byte for byte",
            "any bytes",
        ],
    },
    Concept {
        title: "Framing: where a message ends",
        page: "docs/concepts/framing.md",
        words: &[
            "framing",
            "<eof>",
            "newline",
            "\\r\\n",
            "crlf",
            "as one line",
            "long line",
            "line by line",
            "end every reply",
        ],
    },
    Concept {
        title: "Iterative and concurrent servers",
        page: "docs/concepts/servers.md",
        words: &[
            "keeps running",
            "one after another",
            "concurrent",
            "at once",
            "silent",
            "stalls",
            "vanish",
            "accept()",
            "thread",
            "iterative",
            "clients-",
            "each client",
            "next client",
            "second client",
            "sequential",
        ],
    },
    Concept {
        title: "UDP: datagrams, and what happens when one is lost",
        page: "docs/concepts/udp.md",
        words: &["udp", "datagram", "retries", "retry", "gives up", "lost", "resend", "each sender"],
    },
    Concept {
        title: "Multicast groups and TTL",
        page: "docs/concepts/multicast.md",
        words: &["multicast", "group", "ttl", "subscriber", "iface", "join"],
    },
];

/// The concepts `text` (a check's id, sentence and handout entry) is about, the most
/// mentioned first; at most two.
pub fn about(text: &str) -> Vec<&'static Concept> {
    let text = text.to_lowercase();
    let mut scored: Vec<(usize, usize, &Concept)> = CONCEPTS
        .iter()
        .enumerate()
        .map(|(i, c)| (c.words.iter().filter(|w| text.contains(*w)).count(), i, c))
        .filter(|(hits, _, _)| *hits > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(2).map(|(_, _, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_concept_of_a_sentence() {
        let first = |text: &str| about(text).first().map(|c| c.page);
        assert_eq!(first("udp-echo-client resends a word whose datagram was lost"), Some("docs/concepts/udp.md"));
        assert_eq!(first("sum-server answers requests that arrive in one write"), Some("docs/concepts/byte-stream.md"));
        assert_eq!(first("hello-server keeps running for a second and a third client"), Some(CONCEPTS[2].page));
        assert_eq!(first("sends with TTL 1 to its group"), Some("docs/concepts/multicast.md"));
        assert!(about("prints the time").is_empty());
    }

    #[test]
    fn every_concept_has_its_chapter() {
        // This crate is grader/labs in the workspace.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap();
        for concept in CONCEPTS {
            assert!(root.join(concept.page).is_file(), "{} has no chapter {}", concept.title, concept.page);
        }
    }
}
