//! Table-driven cases for every rule, the evasions the lexicon must see
//! through, and clean text that must stay clean.

use super::*;
use crate::disclaimer::DisclaimerCatalog;

fn lexicon() -> Lexicon {
    Lexicon::load(None).unwrap()
}

/// (text, rule id, severity, matched words as written)
const HITS: &[(&str, &str, Severity, &str)] = &[
    ("这款产品保本保息，放心买", "promise.principal", Severity::Block, "保本保息"),
    ("承诺收益不低于银行存款", "promise.principal", Severity::Block, "承诺收益"),
    ("稳赚不赔的好机会", "promise.no-risk", Severity::Block, "稳赚不赔"),
    ("零风险，高回报", "promise.no-risk", Severity::Block, "零风险"),
    ("追求稳定收益", "promise.no-risk", Severity::Block, "稳定收益"),
    ("这只基金有保障", "promise.no-risk", Severity::Block, "有保障"),
    ("明年必涨", "predict.certain-term", Severity::Block, "必涨"),
    ("一年翻倍不是梦", "promise.high-return", Severity::Block, "翻倍"),
    ("我们确保你的本金安全", "promise.guarantee-word", Severity::Block, "确保你的本金"),
    ("年化收益8%", "promise.yield-figure", Severity::Warn, "年化收益8%"),
    ("预期回报率高达12.5%", "promise.yield-figure", Severity::Warn, "预期回报率高达12.5%"),
    ("这是内幕消息", "advice.insider", Severity::Block, "内幕消息"),
    ("每天免费荐股", "advice.insider", Severity::Block, "荐股"),
    ("直播带单", "advice.insider", Severity::Block, "带单"),
    ("关注600519", "advice.stock-code", Severity::Warn, "600519"),
    ("600519.SH 的估值", "advice.stock-code", Severity::Warn, "600519.SH"),
    ("看好SZ000001", "advice.stock-code", Severity::Warn, "SZ000001"),
    ("科创板688981", "advice.stock-code", Severity::Warn, "688981"),
    ("创业板300750", "advice.stock-code", Severity::Warn, "300750"),
    ("北交所830799", "advice.stock-code", Severity::Warn, "830799"),
    ("代码８３０７９９", "advice.stock-code", Severity::Warn, "８３０７９９"),
    ("年底冲到4000点", "advice.price-target", Severity::Warn, "冲到4000点"),
    ("有望突破3500点", "advice.price-target", Severity::Warn, "有望突破3500点"),
    ("机构上调目标价", "advice.price-target", Severity::Warn, "目标价"),
    ("上看200元", "advice.price-target", Severity::Warn, "上看200元"),
    ("建议买入银行股", "advice.trade-call", Severity::Warn, "建议买入"),
    ("现在是抄底好时机", "advice.trade-call", Severity::Warn, "抄底"),
    ("欲购从速", "advice.trade-call", Severity::Warn, "欲购从速"),
    ("同类最佳", "absolute.superlative", Severity::Warn, "最佳"),
    ("业绩排名第一", "absolute.superlative", Severity::Warn, "第一"),
    ("唯一的选择", "absolute.superlative", Severity::Warn, "唯一"),
    ("想了解更多加微信", "diversion.contact", Severity::Warn, "加微信"),
    ("有问题私信我", "diversion.contact", Severity::Warn, "私信"),
    ("扫码进群", "diversion.contact", Severity::Warn, "扫码"),
    // Evasions: traditional characters, full-width forms, separators inside terms.
    ("穩賺的機會", "promise.no-risk", Severity::Block, "穩賺"),
    ("保證收益", "promise.principal", Severity::Block, "保證收益"),
    ("稳 赚", "promise.no-risk", Severity::Block, "稳 赚"),
    ("稳-赚", "promise.no-risk", Severity::Block, "稳-赚"),
    ("绝对保/本", "promise.principal", Severity::Block, "保/本"),
    ("零　风　险", "promise.no-risk", Severity::Block, "零　风　险"),
    ("６００５１９", "advice.stock-code", Severity::Warn, "６００５１９"),
    // English.
    ("Guaranteed returns of 10% a year", "promise.en", Severity::Block, "Guaranteed returns"),
    ("This fund is RISK-FREE", "promise.en", Severity::Block, "RISK-FREE"),
    ("You can't lose with this one", "promise.en", Severity::Block, "can't lose"),
    ("It will double by summer", "promise.en", Severity::Block, "will double"),
    ("an insider tip for you", "advice.en", Severity::Block, "insider tip"),
    ("Buy now before it runs", "trade-call.en", Severity::Warn, "Buy now"),
    ("DM me for the list", "diversion.en", Severity::Warn, "DM me"),
    // Claims: slots in one sentence, each near the last.
    ("这款理财本金零损失", "promise.principal-safe", Severity::Block, "本金零损失"),
    ("收益不少于6%", "promise.floor", Severity::Block, "收益不少于"),
    ("一年至少赚两成", "promise.floor", Severity::Block, "至少赚"),
    ("收益有保证", "promise.sure-gain", Severity::Block, "收益有保证"),
    ("We guarantee a 12% annual return", "promise.guarantee-en", Severity::Block, "guarantee a 12% annual return"),
    ("买了就不用担心亏损", "promise.reassure", Severity::Block, "不用担心亏损"),
    ("这只股票肯定会涨到50元", "predict.certain-move", Severity::Block, "肯定会涨到"),
    ("下个月大盘稳 稳站上3500点", "predict.certain-move", Severity::Block, "稳 稳站上"),
    ("The market will crash next week", "predict.will-move", Severity::Block, "will crash"),
    ("预计这只股会涨到30元", "predict.forecast", Severity::Warn, "会涨到"),
    ("中期看高到25元", "predict.point", Severity::Warn, "看高到25元"),
    ("We expect the index to reach 4500 points", "predict.forecast-en", Severity::Warn, "expect the index to reach"),
    ("Our price target is $120", "predict.target-en", Severity::Warn, "price target"),
    ("赶紧把手里的银行股全卖了", "trade.urgent", Severity::Warn, "赶紧把手里的银行股全卖"),
    ("今天收盘前全部卖掉", "trade.deadline", Severity::Warn, "收盘前全部卖掉"),
    ("Well. Sell everything before Friday", "trade.call-en", Severity::Warn, "Sell"),
    ("跟着老师操作", "insider.follow", Severity::Block, "跟着老师"),
    ("老师每天带单", "insider.lead", Severity::Block, "老师每天带单"),
    ("知情人士透露", "insider.early-news", Severity::Block, "知情人士透露"),
    ("庄家已经吸筹完毕", "insider.operator", Severity::Block, "庄家已经吸筹"),
    ("群里每天推送金股", "insider.picks", Severity::Block, "推送金股"),
    ("帮你操盘", "insider.trade-for-you", Severity::Block, "帮你操盘"),
    ("明早在群里公布要买的票", "insider.announce", Severity::Block, "群里公布"),
    ("亏损全额赔付", "promise.cover-loss", Severity::Block, "亏损全额赔付"),
    ("你投的每一分钱都不会打水漂", "promise.principal-safe", Severity::Block, "每一分钱都不会打水漂"),
    ("本金绝不会亏", "promise.no-loss", Severity::Block, "本金绝不会亏"),
    ("We promise you will not lose money", "promise.no-loss-en", Severity::Block, "not lose money"),
    ("加我徒弟的薇❤信", "diversion.channel", Severity::Warn, "加我徒弟的薇❤信"),
    ("+微 信：abc123", "diversion.account", Severity::Warn, "微 信：abc123"),
    ("同行里最靠谱", "superlative.scope", Severity::Warn, "同行里最"),
    ("The best fund in the market", "superlative.en", Severity::Warn, "best fund"),
    ("Unbeatable returns", "superlative.en-terms", Severity::Warn, "Unbeatable"),
    // Negated, reported, criticised, quoted or asked: reported, but only as info.
    ("谁也不能保证明天一定涨", "predict.certain-move", Severity::Info, "保证明天一定涨"),
    ("很多产品打着“零风险”的旗号，结果血本无归", "promise.no-risk", Severity::Info, "零风险"),
    ("不要相信所谓保本", "promise.principal", Severity::Info, "保本"),
    ("“保本”这类说法", "promise.principal", Severity::Info, "保本"),
    ("沪指会不会突破3500点？", "predict.forecast", Severity::Info, "会不会突破"),
    (
        "Beware of anyone who promises guaranteed returns",
        "promise.guarantee-en",
        Severity::Info,
        "promises guaranteed returns",
    ),
    ("这类产品并不保息", "promise.principal", Severity::Info, "保息"),
    ("It is not risk-free", "promise.en", Severity::Info, "risk-free"),
];

#[test]
fn every_rule_finds_its_words_and_sees_through_evasions() {
    let lex = lexicon();
    for (text, rule, severity, matched) in HITS {
        let findings = lex.scan_text("body", text);
        let hit = findings.iter().find(|f| f.rule_id == *rule);
        let Some(hit) = hit else { panic!("{text:?}: expected {rule}, got {findings:#?}") };
        assert_eq!(hit.severity, *severity, "{text:?}: {hit:#?}");
        assert_eq!(hit.matched, *matched, "{text:?}: position maps back to the original");
        assert_eq!(&text[hit.start..hit.end], *matched);
        assert!(hit.excerpt.contains(&format!("【{matched}】")), "{}", hit.excerpt);
        assert!(!hit.explanation.is_empty() && !hit.suggestion.is_empty());
    }
}

#[test]
fn every_shipped_rule_has_a_case() {
    let lex = lexicon();
    for rule in lex.rules() {
        assert!(HITS.iter().any(|(_, id, _, _)| *id == rule.id), "no test case for {}", rule.id);
    }
}

#[test]
fn disclosures_and_look_alikes_are_not_violations() {
    let lex = lexicon();
    for text in [
        "本产品不保证收益，投资需谨慎",
        "本产品不保本，可能损失本金",
        "本内容仅供参考，不构成投资建议",
        "过往业绩不代表未来表现",
        "债券基金的波动较小，但并非没有风险",
        "今年第一季度营收增长",
        "北向资金净买入52亿元",
        "投入300000元",
        "电话13800138000",
        "2026年11月21日",
        "包括消费电子在内的多个板块盈利改善",
        "保证金比例上调",
        "Returns are not guaranteed.",
        "The insiders' view was mixed",
        "Swx and wxyz are not words here",
    ] {
        let findings: Vec<_> =
            lex.scan_text("body", text).into_iter().filter(|f| f.severity != Severity::Info).collect();
        assert!(findings.is_empty(), "{text:?}: {findings:#?}");
    }
}

/// Ordinary market commentary an advisor might post.
const CLEAN: &[&str] = &[
    "今日沪深两市成交额约1.2万亿元，较上一交易日小幅放量。",
    "上证指数收盘报3245点，涨0.35%。",
    "北向资金全天净买入52亿元，主要流入电子和医药板块。",
    "央行今日开展2000亿元逆回购操作，维持流动性合理充裕。",
    "美联储议息会议前，市场避险情绪有所升温。",
    "银行板块整体估值处于历史低位，股息率较高。",
    "新能源汽车销量同比增长35%，渗透率继续提升。",
    "十年期国债收益率下行至2.1%附近。",
    "市场短期波动加大，投资者需关注仓位管理和风险控制。",
    "三季度GDP同比增长4.8%，略低于市场预期。",
    "消费电子需求仍待恢复，产业链库存逐步去化。",
    "港股恒生科技指数今日收跌1.2%。",
    "黄金价格创下历史新高，主要受地缘政治因素推动。",
    "人民币对美元汇率中间价报7.12。",
    "半导体设备国产化率持续提高，但部分环节仍依赖进口。",
    "本周共有5只新股上市，首日平均涨幅较上月收窄。",
    "两融余额连续三个交易日回升，市场情绪有所修复。",
    "房地产销售数据仍然偏弱，政策端持续发力。",
    "原油价格受供给扰动影响，短期波动较大。",
    "创业板指数年内表现弱于沪深300指数。",
    "可转债市场成交活跃，平均转股溢价率小幅下降。",
    "上市公司三季报披露完毕，整体盈利增速环比改善。",
    "机构调研热度集中在医药、计算机和机械设备行业。",
    "全球主要股指涨跌互现，欧洲市场表现相对稳健。",
    "分红比例提升有助于增强长期投资者的持有意愿。",
    "公募基金三季度末总规模约为31万亿元。",
    "美债收益率高位震荡，对成长股估值形成一定压制。",
    "市场成交量萎缩，资金观望情绪较浓。",
    "政策面释放积极信号，但经济复苏仍需时间验证。",
    "分散配置可以在一定程度上降低组合的波动。",
    "投资者应根据自身风险承受能力选择合适的产品。",
    "指数基金费率较低，适合长期定投的投资者了解。",
    "今年以来沪深300指数累计下跌约3%。",
    "科创板公司研发投入占营收比例平均超过10%。",
    "铜价上涨带动有色金属板块走强。",
    "本期节目我们聊聊如何阅读基金的季度报告。",
    "基金经理在季报中表示将继续关注高股息资产。",
    "债券型基金的波动通常低于股票型基金，但并非没有风险。",
    "市场风格在价值与成长之间反复切换。",
    "汇率波动会影响海外资产的人民币计价收益。",
    "上周A股日均成交额回升至9000亿元以上。",
    "部分龙头公司回购计划显示出管理层对经营的信心。",
    "近期IPO节奏有所放缓。",
    "养老金融产品种类不断丰富，投资者选择增多。",
    "美元指数走弱，新兴市场资金流入有所增加。",
    "短期内市场可能维持震荡格局，需关注政策落地情况。",
    "行业景气度分化明显，业绩确定性成为资金关注重点。",
    "宏观数据公布前，市场交投趋于谨慎。",
    "这期视频整理了今年影响市场的五个关键事件。",
    "下期我们将介绍基金定投的基本原理和常见误区。",
    "截至收盘，深证成指报10512点，跌0.6%。",
    "今年第一季度居民存款增加较多。",
    "The index closed 0.5% higher as tech shares rebounded.",
    "Bond yields eased after the central bank's decision.",
    "Investors should consider their own risk tolerance.",
];

#[test]
fn ordinary_market_commentary_has_no_findings() {
    let lex = lexicon();
    assert!(CLEAN.len() >= 50);
    for text in CLEAN {
        let findings = lex.scan_text("body", text);
        assert!(findings.is_empty(), "{text:?}: {findings:#?}");
    }
}

#[test]
fn disclaimer_presets_have_no_findings() {
    let lex = lexicon();
    for preset in DisclaimerCatalog::load(None).unwrap().all() {
        let findings = lex.scan_text("disclaimer", &preset.text);
        assert!(findings.is_empty(), "{}: {findings:#?}", preset.id);
    }
}

#[test]
fn required_disclosures_are_checked_over_all_texts() {
    let lex = lexicon();
    let ids = |texts: &[PublishText]| lex.scan(texts).into_iter().map(|f| f.rule_id).collect::<Vec<_>>();
    let bare = ids(&[PublishText::new("title", "一文看懂基金定投")]);
    assert!(
        bare.contains(&"required.risk-warning".to_owned()) && bare.contains(&"required.not-advice".to_owned()),
        "{bare:?}"
    );
    let covered = ids(&[
        PublishText::new("title", "一文看懂基金定投"),
        PublishText::new("disclaimer", "投资有风险，入市需谨慎\n本内容仅供参考，不构成投资建议"),
    ]);
    assert!(covered.is_empty(), "{covered:?}");
    let performance = ids(&[
        PublishText::new("body", "该基金去年收益率为12%"),
        PublishText::new("disclaimer", "投资有风险，入市需谨慎。不构成投资建议"),
    ]);
    assert_eq!(performance, ["required.past-performance"]);
}

#[test]
fn user_rules_add_and_override() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("house.toml"),
        r#"
id = "house"
lang = "zh-CN"
[[rule]]
id = "house.brand"
severity = "block"
terms = ["财富自由"]
explanation = "公司规定"
suggestion = "删去"
[[rule]]
id = "absolute.superlative"
severity = "block"
terms = ["第一"]
explanation = "更严格"
suggestion = "删去"
"#,
    )
    .unwrap();
    let lex = Lexicon::load(Some(dir.path())).unwrap();
    assert_eq!(lex.scan_text("t", "实现财富自由")[0].rule_id, "house.brand");
    let first = &lex.scan_text("t", "排名第一")[0];
    assert_eq!((first.rule_id.as_str(), first.severity), ("absolute.superlative", Severity::Block));
    assert!(lex.scan_text("t", "最佳选择").is_empty(), "the override replaced the shipped rule's terms");

    std::fs::write(dir.path().join("bad.toml"), "id = \"bad\"\nlang = \"x\"\n[[rule]]\nid = \"r\"\nseverity = \"block\"\npatterns = ['(']\nexplanation = \"\"\nsuggestion = \"\"\n").unwrap();
    let err = Lexicon::load(Some(dir.path())).unwrap_err().to_string();
    assert!(err.contains("bad.toml") && err.contains("patterns"), "{err}");
}

#[test]
fn the_labelled_set_meets_its_targets() {
    let set =
        eval::read_labelled("tests/compliance/labelled.tsv", include_str!("../../../../tests/compliance/labelled.tsv"))
            .unwrap();
    assert!(set.len() >= 300, "{} sentences", set.len());
    let clean = set.iter().filter(|s| s.expected.is_none()).count();
    assert!(clean * 3 >= set.len(), "at least a third clean: {clean}");
    let e = eval::evaluate(&lexicon(), &set);
    println!("{}", e.report());
    assert!(e.block_recall() >= 0.97, "block recall {:.3}\n{}", e.block_recall(), e.report());
    assert!(e.warn_recall() >= 0.95, "warn recall {:.3}\n{}", e.warn_recall(), e.report());
    assert!(e.precision() >= 0.95, "precision {:.3}\n{}", e.precision(), e.report());
}

/// The paraphrases the issue that asked for claims named, each caught at
/// its severity, and the criticising sentence it named not blocked.
#[test]
fn the_paraphrases_that_escaped_the_word_list_are_caught() {
    let lex = lexicon();
    let strictest = |text: &str| lex.scan_text("t", text).into_iter().map(|f| f.severity).max();
    for text in [
        "这只股票肯定会涨到80元",
        "沪指必将突破4000点",
        "下个月稳稳站上3500点",
        "this stock will definitely hit $50",
        "本金零损失",
        "资金安全有保障，收益不少于6%",
        "至少赚两成",
        "You can't lose money",
        "guaranteed to outperform",
        "no downside",
        "The market will crash next week",
    ] {
        assert_eq!(strictest(text), Some(Severity::Block), "{text}: {:#?}", lex.scan_text("t", text));
    }
    for text in [
        "现在就上车贵州茅台",
        "赶紧把手里的银行股全卖了",
        "目标价60元，买入",
        "sell everything before Friday",
        "加我徒弟的薇❤信",
        "V信同名",
        "VX同名",
        "威信同名",
        "主页有联系方式，私我",
        "扫描下方二维码",
        "同行里最靠谱",
        "全市场最便宜的基金",
        "史上最好的时机",
    ] {
        assert!(strictest(text) >= Some(Severity::Warn), "{text}: {:#?}", lex.scan_text("t", text));
    }
    let criticism = "很多产品打着“零风险”的旗号，结果血本无归";
    assert_eq!(strictest(criticism), Some(Severity::Info), "{:#?}", lex.scan_text("t", criticism));
}
