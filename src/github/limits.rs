//! GitHub's size limits, and fitting a markdown report inside them by leaving out whole sections.
//!
//! Pull request bodies, issue bodies and comments hold at most 65,536 characters, a check run's
//! text 65,535, and a step summary 1 MiB (GitHub refuses the whole upload above that). A report
//! that is too long keeps its opening (the verdict) and as many of its `## ` sections as fit, in
//! order; the sections left out are named in a note with a link to the full report. Marker
//! blocks are always kept, so the bot still finds its own text.

use super::marker::{self, Marker};

/// Most characters in a pull request body, an issue body or a comment.
pub const BODY_MAX_CHARS: usize = 65_536;

/// Most characters in a check run's summary or text.
pub const CHECK_RUN_MAX_CHARS: usize = 65_535;

/// Most bytes in one step's job summary.
pub const SUMMARY_MAX_BYTES: usize = 1024 * 1024;

/// Titles named in the note about left-out sections, at most.
const NOTED_TITLES: usize = 10;

/// Characters of one title in that note, at most.
const NOTED_TITLE_CHARS: usize = 80;

/// Where a text goes, which decides its limit and how it is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A pull request body, issue body or comment: [`BODY_MAX_CHARS`] characters.
    Body,
    /// A check run's summary or text: [`CHECK_RUN_MAX_CHARS`] characters.
    CheckRun,
    /// A job summary: [`SUMMARY_MAX_BYTES`] bytes.
    Summary,
    /// A custom limit in characters (for callers with their own budget).
    Chars(usize),
    /// A custom limit in bytes (what is left of a job summary).
    Bytes(usize),
}

impl Limit {
    /// The limit's size in its own unit.
    pub fn max(self) -> usize {
        match self {
            Limit::Body => BODY_MAX_CHARS,
            Limit::CheckRun => CHECK_RUN_MAX_CHARS,
            Limit::Summary => SUMMARY_MAX_BYTES,
            Limit::Chars(n) | Limit::Bytes(n) => n,
        }
    }

    /// The size of `text` in the limit's unit (characters, or bytes for the summary).
    pub fn measure(self, text: &str) -> usize {
        match self {
            Limit::Summary | Limit::Bytes(_) => text.len(),
            _ => text.chars().count(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Limit::Body => "65,536-character comment",
            Limit::CheckRun => "65,535-character check run",
            Limit::Summary => "1 MiB job summary",
            Limit::Bytes(_) => "1 MiB job summary",
            Limit::Chars(_) => "size",
        }
    }
}

/// One `## ` section of a markdown document.
struct Section<'a> {
    title: &'a str,
    text: &'a str,
}

/// `text` unchanged when it fits `limit`; otherwise its opening, the sections that fit, a note
/// naming the left-out sections with a link to `full_report` (when given), and its markers.
pub fn fit(text: &str, limit: Limit, full_report: Option<&str>) -> String {
    if limit.measure(text) <= limit.max() {
        return text.to_owned();
    }
    let markers: String = Marker::find_all(text)
        .iter()
        .map(|m| format!("\n{}", m.render()))
        .collect();
    let visible = marker::strip(text);
    let (opening, sections) = split_sections(&visible);

    // Reserve room for the note and the markers, growing the reserve until the result fits
    // (a longer note can only drop more sections, so this ends quickly).
    let fixed = limit.measure(&markers);
    let mut reserve = fixed + limit.measure(&note(limit, &[], full_report));
    loop {
        let budget = limit.max().saturating_sub(reserve);
        let (kept, dropped) = keep_within(opening, &sections, budget, limit);
        let note = note(limit, &dropped, full_report);
        let size = limit.measure(&kept) + limit.measure(&note) + fixed;
        if size <= limit.max() || budget == 0 {
            return format!("{kept}{note}{markers}");
        }
        reserve = reserve.max(fixed + limit.measure(&note)) + (size - limit.max());
    }
}

/// The opening (cut at a line end if it alone is too long) and, in order, every section that
/// still fits `budget`; with the titles of the sections left out.
fn keep_within<'a>(
    opening: &str,
    sections: &[Section<'a>],
    budget: usize,
    limit: Limit,
) -> (String, Vec<&'a str>) {
    let kept_opening = cut_at_line(opening, budget, limit);
    let opening_cut = kept_opening.len() < opening.len();
    let mut left = budget.saturating_sub(limit.measure(kept_opening));
    let mut kept = kept_opening.to_owned();
    let mut dropped = Vec::new();
    for section in sections {
        let size = limit.measure(section.text);
        if !opening_cut && size <= left {
            kept.push_str(section.text);
            left -= size;
        } else {
            dropped.push(section.title);
        }
    }
    (kept, dropped)
}

/// Splits markdown at its `## ` headings (outside code fences): the text before the first one,
/// then each section from its heading to the next.
fn split_sections(text: &str) -> (&str, Vec<Section<'_>>) {
    let mut starts = Vec::new();
    let mut in_fence = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with("## ") {
            starts.push(offset);
        }
        offset += line.len();
    }
    let opening_end = starts.first().copied().unwrap_or(text.len());
    let mut sections = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let section = &text[start..end];
        let title = section.lines().next().unwrap_or_default();
        sections.push(Section {
            title: title.trim_start_matches('#').trim(),
            text: section,
        });
    }
    (&text[..opening_end], sections)
}

/// The longest prefix of `text` within `budget` that ends at a line end (or at a character
/// boundary when not even the first line fits).
fn cut_at_line(text: &str, budget: usize, limit: Limit) -> &str {
    if limit.measure(text) <= budget {
        return text;
    }
    let mut end = 0;
    let mut used = 0;
    for line in text.split_inclusive('\n') {
        let size = limit.measure(line);
        if used + size > budget {
            break;
        }
        used += size;
        end += line.len();
    }
    if end > 0 {
        return &text[..end];
    }
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let size = limit.measure(&text[i..i + c.len_utf8()]);
        if used + size > budget {
            break;
        }
        used += size;
        end = i + c.len_utf8();
    }
    &text[..end]
}

/// The note about left-out sections.
fn note(limit: Limit, dropped: &[&str], full_report: Option<&str>) -> String {
    let mut titles: Vec<String> = dropped
        .iter()
        .take(NOTED_TITLES)
        .map(|t| {
            let short: String = t.chars().take(NOTED_TITLE_CHARS).collect();
            format!("`{}`", short.replace('`', "'"))
        })
        .collect();
    if dropped.len() > NOTED_TITLES {
        titles.push(format!("and {} more", dropped.len() - NOTED_TITLES));
    }
    let what = match dropped.len() {
        0 => "Part of this report was left out".to_owned(),
        1 => format!("1 section was left out ({})", titles.join(", ")),
        n => format!("{n} sections were left out ({})", titles.join(", ")),
    };
    let link = match full_report {
        Some(url) => format!(" The full report: {url}"),
        None => " The full report is in the run's job summary and artifacts.".to_owned(),
    };
    format!(
        "\n\n> [!NOTE]\n> {what} to stay within GitHub's {} limit.{link}\n",
        limit.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(section_sizes: &[usize]) -> String {
        let mut text = "> [!CAUTION]\n> 2 regressions\n\nAccuracy 81% (base 84%)\n\n".to_owned();
        for (i, size) in section_sizes.iter().enumerate() {
            text.push_str(&format!("## Section {i}\n\n"));
            text.push_str(&"| row |\n".repeat(size / 8));
            text.push('\n');
        }
        text.push_str(
            &Marker::Comment {
                kind: "eval".into(),
                space: Some("sales".into()),
            }
            .render(),
        );
        text
    }

    fn outline(text: &str) -> String {
        let rows = text.lines().filter(|l| *l == "| row |").count();
        let rest: Vec<&str> = text.lines().filter(|l| *l != "| row |").collect();
        format!(
            "{} characters, {rows} table rows elided\n{}",
            text.chars().count(),
            rest.join("\n")
        )
    }

    #[test]
    fn a_report_that_fits_is_left_alone() {
        let text = report(&[100, 100]);
        assert_eq!(fit(&text, Limit::Body, Some("https://x")), text);
    }

    #[test]
    fn a_comment_over_the_limit_loses_whole_sections_and_keeps_its_marker() {
        let text = report(&[20_000, 50_000, 10_000, 30_000]);
        let fitted = fit(
            &text,
            Limit::Body,
            Some("https://github.com/acme/genie/actions/runs/7"),
        );
        assert!(fitted.chars().count() <= BODY_MAX_CHARS);
        insta::assert_snapshot!(outline(&fitted));
    }

    #[test]
    fn a_summary_is_measured_in_bytes() {
        // 300k three-byte characters: under the limit in characters, over it in bytes.
        let text = format!("## Big\n{}\n## Small\nok\n", "€".repeat(400_000));
        assert!(text.chars().count() < SUMMARY_MAX_BYTES);
        let fitted = fit(&text, Limit::Summary, None);
        assert!(fitted.len() <= SUMMARY_MAX_BYTES);
        assert!(
            fitted.contains("## Small\nok"),
            "a later section that fits is kept"
        );
        assert!(
            fitted.contains("1 section was left out (`Big`)"),
            "{fitted}"
        );
    }

    #[test]
    fn an_opening_longer_than_the_limit_is_cut_at_a_line_end() {
        let text = format!("{}## A\nx\n", "line\n".repeat(100));
        let fitted = fit(&text, Limit::Chars(400), None);
        assert!(fitted.chars().count() <= 400, "{}", fitted.chars().count());
        assert!(fitted.starts_with("line\nline\n"));
        assert!(fitted.contains("1 section was left out (`A`)"));
    }

    #[test]
    fn headings_inside_code_fences_do_not_split_sections() {
        let (opening, sections) = split_sections("intro\n```\n## not a heading\n```\n## Real\nx\n");
        assert!(opening.contains("not a heading"));
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].title, "Real");
    }
}
