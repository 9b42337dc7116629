"""The SVG chart helpers: valid SVG, one bar per category, escaped text, tooltips."""

from xml.etree import ElementTree

from linli.taskpool import charts

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str):
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


def bars(root):
    return root.findall("s:g[@class='bar']", NS)


def texts(element) -> list[str]:
    return [t.text for t in element.iter("{http://www.w3.org/2000/svg}text")]


def test_bar_chart_has_one_bar_per_item_with_a_tooltip():
    root = parse(
        charts.bar_chart([("第一网格", 12), ("第二网格", 3), ("三", 0)], label="Open", unit=" h")
    )
    assert root.get("role") == "img" and root.get("aria-label") == "Open"
    found = bars(root)
    assert len(found) == 3
    assert [g.find("s:title", NS).text for g in found] == [
        "第一网格: 12 h",
        "第二网格: 3 h",
        "三: 0 h",
    ]
    widths = [float(g.find("s:rect", NS).get("width")) for g in found]
    assert widths[0] > widths[1] > widths[2] == 0
    assert abs(widths[0] / widths[1] - 4) < 0.01  # bars are to scale


def test_bar_chart_escapes_labels_and_titles():
    nasty = '<script>alert("x")</script> & 张'
    svg = charts.bar_chart([(nasty, 1)], label=nasty, titles=[nasty])
    assert "<script>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == nasty
    assert bars(root)[0].find("s:title", NS).text == nasty


def test_bar_chart_draws_limits_and_a_fixed_scale():
    root = parse(
        charts.bar_chart([("a", 50), ("b", 25)], label="x", max_value=100, limits=[40, None])
    )
    assert len(root.findall(".//s:line[@class='limit']", NS)) == 1
    assert float(bars(root)[0].find("s:rect", NS).get("width")) < charts.WIDTH / 2


def test_long_chinese_labels_are_cut_with_the_full_label_in_the_title():
    label = "武汉市武昌区中华路街道新民主路社区第十二网格"
    root = parse(charts.bar_chart([(label, 1)], label="x"))
    shown = texts(bars(root)[0])[0]
    assert shown.endswith("…") and len(shown) < len(label)
    assert charts.text_width(shown) <= charts.MAX_LABEL
    assert bars(root)[0].find("s:title", NS).text.startswith(label)


def test_wide_characters_count_double():
    assert charts.text_width("网格") == 2 * charts.FONT_SIZE
    assert charts.text_width("ab") == 2 * charts.FONT_SIZE * 0.6


def test_column_chart_has_one_column_per_item():
    root = parse(charts.column_chart([("Mon", 1), ("Tue", 4), ("Wed", 2.5)], label="Done"))
    found = bars(root)
    assert len(found) == 3
    heights = [float(g.find("s:rect", NS).get("height")) for g in found]
    assert heights[1] == max(heights) and heights[0] * 4 == heights[1]
    assert "2.5" in texts(found[2])


def test_stacked_bar_chart_has_one_bar_per_category_and_a_segment_per_amount():
    root = parse(
        charts.stacked_bar_chart(
            ["第一网格", "第二网格"],
            [("visited", "#2e7d32"), ("not visited", "#c62828")],
            [[3, 1], [0, 2]],
            label="Coverage",
        )
    )
    found = bars(root)
    assert len(found) == 2
    # A zero amount draws no segment.
    assert [len(g.findall("s:rect[@class='seg']", NS)) for g in found] == [2, 1]
    assert found[0].find("s:title", NS).text == "第一网格: visited 3, not visited 1"
    assert texts(found[0])[-1] == "4"  # the total after the bar
    assert len(root.findall("s:g[@class='legend']", NS)) == 2


def test_empty_charts_say_so():
    for svg in (
        charts.bar_chart([], label="x", empty="No data"),
        charts.column_chart([], label="x", empty="No data"),
        charts.stacked_bar_chart([], [("a", "#000")], [], label="x", empty="No data"),
    ):
        root = parse(svg)
        assert bars(root) == [] and "No data" in texts(root)
