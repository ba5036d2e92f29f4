use super::*;

fn ok(text: &str) -> SubtitleTrack {
    parse(text.as_bytes(), "t.srt").unwrap_or_else(|e| panic!("{e}\n--- file:\n{text}"))
}

fn err(text: &str) -> (usize, String) {
    match parse(text.as_bytes(), "t.srt") {
        Err(EngineError::SubtitleInvalid { line, reason, .. }) => (line, reason),
        other => panic!("expected a subtitle error, got {other:?}"),
    }
}

fn timings(t: &SubtitleTrack) -> Vec<(u64, u64, &str)> {
    t.cues.iter().map(|c| (c.start_ms, c.end_ms, c.text.as_str())).collect()
}

#[test]
fn a_plain_srt_file() {
    let t = ok("1\n00:00:01,000 --> 00:00:02,500\n投资有风险\n\n2\n00:00:03,000 --> 00:00:04,000\n入市需谨慎\n");
    assert_eq!(t.format, SubtitleFormat::Srt);
    assert_eq!(timings(&t), vec![(1000, 2500, "投资有风险"), (3000, 4000, "入市需谨慎")]);
    assert_eq!(t.cues[1].line, 6);
    assert!(texts(&t.warnings).is_empty(), "{:?}", texts(&t.warnings));
}

#[test]
fn line_ends_final_newline_and_bom_do_not_matter() {
    let lf = "1\n00:00:01,000 --> 00:00:02,000\n甲\n\n2\n00:00:03,000 --> 00:00:04,000\n乙";
    for text in [lf.to_owned(), lf.replace('\n', "\r\n"), lf.replace('\n', "\r"), format!("\u{FEFF}{lf}\n\n\n")] {
        assert_eq!(timings(&ok(&text)), vec![(1000, 2000, "甲"), (3000, 4000, "乙")], "{text:?}");
    }
}

#[test]
fn missing_and_repeated_numbers_are_numbered_again_and_said() {
    let t = ok("00:00:01,000 --> 00:00:02,000\n甲\n\n00:00:03,000 --> 00:00:04,000\n乙\n");
    assert_eq!(t.cues.iter().map(|c| c.number).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(texts(&t.warnings), vec!["the cues have no numbers; they are numbered in time order"]);

    let t = ok(
        "1\n00:00:01,000 --> 00:00:02,000\n甲\n\n1\n00:00:03,000 --> 00:00:04,000\n乙\n\n3\n00:00:05,000 --> 00:00:06,000\n丙\n",
    );
    assert_eq!(t.cues.len(), 3);
    assert_eq!(texts(&t.warnings).len(), 1, "{:?}", texts(&t.warnings));
    assert!(texts(&t.warnings)[0].contains("cue number 1 where 2 was expected"), "{:?}", texts(&t.warnings));
}

#[test]
fn irregular_timestamps_are_read() {
    let t =
        ok("1\n00:00:04 --> 00:00:05,5\n甲\n\n2\n0:01:02.5 --> 0:01:03.25\n乙\n\n3\n00:00:00,1 --> 00:00:00,9\n丙\n");
    assert_eq!(timings(&t), vec![(100, 900, "丙"), (4000, 5500, "甲"), (62_500, 63_250, "乙")]);
}

#[test]
fn out_of_order_and_overlapping_cues_are_sorted_and_said() {
    let t = ok(
        "1\n00:00:05,000 --> 00:00:06,000\n后\n\n2\n00:00:01,000 --> 00:00:03,000\n先\n\n3\n00:00:02,000 --> 00:00:04,000\n叠\n",
    );
    assert_eq!(timings(&t), vec![(1000, 3000, "先"), (2000, 4000, "叠"), (5000, 6000, "后")]);
    assert_eq!(t.cues.iter().map(|c| (c.number, c.line)).collect::<Vec<_>>(), vec![(1, 6), (2, 10), (3, 2)]);
    assert!(
        texts(&t.warnings).iter().any(|w| w.starts_with("line 6: the cue starts at 00:00:01.000, before")),
        "{:?}",
        t.warnings
    );
    assert!(texts(&t.warnings).iter().any(|w| w.contains("both are shown together")), "{:?}", texts(&t.warnings));
}

#[test]
fn blank_lines_inside_a_cue_and_no_blank_line_between_cues() {
    let t = ok("1\n00:00:01,000 --> 00:00:02,000\n第一行\n\n第二行\n2\n00:00:03,000 --> 00:00:04,000\n乙\n");
    assert_eq!(timings(&t), vec![(1000, 2000, "第一行\n第二行"), (3000, 4000, "乙")]);
}

#[test]
fn tags_and_entities_become_plain_text() {
    let t = ok(
        "1\n00:00:01,000 --> 00:00:02,000\n<i>斜体</i> <font color=\"#ff0\">彩色</font>\n<a href=\"x\">链接</a> &lt;b&gt; &amp; 收益<5%\n",
    );
    assert_eq!(t.cues[0].text, "斜体 彩色\n链接 <b> & 收益<5%");
}

#[test]
fn webvtt_header_notes_styles_identifiers_and_settings() {
    let text = "WEBVTT - 讲座字幕\nKind: captions\nLanguage: zh-CN\n\nNOTE 这是注释\n跨两行\n\nSTYLE\n::cue { color: yellow }\n\nintro\n00:01.000 --> 00:02.000 position:10% align:start\n<v 主持人>大家好\n\n00:00:03.000 --> 00:00:04.500 line:0\n<c.yellow>今天</c>讲三个误区\n";
    let t = ok(text);
    assert_eq!(t.format, SubtitleFormat::WebVtt);
    assert_eq!(timings(&t), vec![(1000, 2000, "大家好"), (3000, 4500, "今天讲三个误区")]);
    assert!(texts(&t.warnings).is_empty(), "{:?}", texts(&t.warnings));
}

#[test]
fn ass_dialogue_lines() {
    let text = "[Script Info]\nTitle: 讲座\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nComment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,注释\nDialogue: 0,0:00:01.50,0:00:03.00,Default,,0,0,0,,{\\an8\\b1}第一行\\N第二行，逗号,也在\nDialogue: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,不换\\h行\n";
    let t = ok(text);
    assert_eq!(t.format, SubtitleFormat::Ass);
    assert_eq!(timings(&t), vec![(1500, 3000, "第一行\n第二行，逗号,也在"), (4000, 5000, "不换 行")]);
    assert_eq!(t.cues[0].line, 12);
}

#[test]
fn empty_and_instant_cues_are_left_out_with_a_warning() {
    let t = ok(
        "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n\n2\n00:00:03,000 --> 00:00:03,000\n瞬间\n\n3\n00:00:04,000 --> 00:00:05,000\n留下\n",
    );
    assert_eq!(timings(&t), vec![(4000, 5000, "留下")]);
    assert_eq!(t.cues[0].number, 1);
    assert!(
        texts(&t.warnings).iter().any(|w| w.starts_with("line 2: the cue has no text")),
        "{:?}",
        texts(&t.warnings)
    );
    assert!(
        texts(&t.warnings).iter().any(|w| w.starts_with("line 6:") && w.contains("never on screen")),
        "{:?}",
        texts(&t.warnings)
    );
}

#[test]
fn what_cannot_be_read_names_its_line() {
    let (line, reason) = err("1\n00:00:01,000 --> 00:00:02,000\n甲\n\n2\n00:00:0x,000 --> 00:00:04,000\n乙\n");
    assert_eq!(line, 6);
    assert!(reason.contains("start time `00:00:0x,000`"), "{reason}");

    let (line, reason) = err("1\n00:00:05,000 --> 00:00:04,000\n甲\n");
    assert_eq!(line, 2);
    assert!(reason.contains("ends (00:00:04.000) before it starts (00:00:05.000)"), "{reason}");

    let (line, reason) = err("字幕文件\n1\n00:00:01,000 --> 00:00:02,000\n甲\n");
    assert_eq!(line, 1);
    assert!(reason.contains("outside any cue"), "{reason}");

    let (line, reason) = err("# 标题\n\n这是一篇文章，不是字幕。\n");
    assert_eq!(line, 1);
    assert!(reason.contains("no timing line"), "{reason}");

    let (_, reason) = err("\n\n  \n");
    assert!(reason.contains("no cues"), "{reason}");

    let (line, reason) = err(
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00\n",
    );
    assert_eq!(line, 3);
    assert!(reason.contains("needs 10 comma-separated fields"), "{reason}");
}

#[test]
fn undecodable_bytes_are_refused_with_their_line() {
    let mut bytes = "1\n00:00:01,000 --> 00:00:02,000\n甲\n\n2\n00:00:03,000 --> 00:00:04,000\n".as_bytes().to_vec();
    bytes.extend([0xEF, 0xBB, 0xBF]); // a BOM in the middle is still UTF-8 …
    bytes.extend([0xFF, 0xFE, 0x00]); // … these bytes are no encoding's text
    let mut with_bom = vec![0xEF, 0xBB, 0xBF];
    with_bom.extend(bytes);
    match parse(&with_bom, "t.srt") {
        Err(EngineError::SubtitleInvalid { line, reason, .. }) => {
            assert_eq!(line, 7);
            assert!(reason.contains("not valid UTF-8"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// The warnings' English sentences.
fn texts(warnings: &[crate::message::Notice]) -> Vec<String> {
    warnings.iter().map(|w| w.text.clone()).collect()
}
