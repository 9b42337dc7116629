"""The transmission graph and the trajectory's site plan: well-formed SVG, every name
escaped, nodes beyond the limit summed up as "and N more"."""

from xml.etree import ElementTree

from linli.tracing.graph import Edge, Node, PlacePoint, places_svg, transmission_svg


def parse(svg: str):
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


NS = {"svg": "http://www.w3.org/2000/svg"}
LABELS = {
    "household": "Household",
    "direct": "Direct",
    "place": "Place",
    "hop0": "Index",
    "hop1": "Close",
    "hop2": "Secondary",
}


def _graph(contacts_per_index=3, index=2, second=2, **kwargs):
    nodes = [Node(id=i, label=f"index {i}", hop=0) for i in range(index)]
    edges = []
    next_id = 100
    for source in range(index):
        for _ in range(contacts_per_index):
            nodes.append(Node(id=next_id, label=f"<contact {next_id}>", hop=1))
            edges.append(Edge(source=source, target=next_id, kind="place", label="Shop & Co"))
            for _ in range(second):
                nodes.append(Node(id=next_id + 5000, label="second", hop=2))
                edges.append(Edge(source=next_id, target=next_id + 5000, kind="household"))
            next_id += 1
    return nodes, edges, transmission_svg(nodes, edges, labels=LABELS, title="Run 1", **kwargs)


def test_graph_is_well_formed_with_one_circle_per_person_and_one_line_per_edge():
    nodes, edges, svg = _graph(second=1)
    root = parse(svg)
    assert len(root.findall("svg:circle", NS)) == len(nodes) + 3  # + the legend's dots
    assert len(root.findall("svg:line", NS)) == len(edges) + 3  # + the legend's strokes
    assert "&lt;contact 100&gt;" in svg and "Shop &amp; Co" in svg


def test_a_single_index_case_sits_in_the_middle():
    nodes = [Node(id=1, label="Zhang", hop=0), Node(id=2, label="Wang", hop=1)]
    svg = transmission_svg(nodes, [Edge(1, 2, "direct")], labels=LABELS, title="t", width=400)
    circle = parse(svg).find("svg:circle", NS)
    assert (circle.get("cx"), circle.get("cy")) == ("200.0", "200.0")


def test_graph_keeps_index_cases_and_says_how_many_it_left_out():
    nodes, _edges, svg = _graph(contacts_per_index=40, index=3, second=2, max_nodes=150)
    root = parse(svg)
    texts = ["".join(t.itertext()) for t in root.findall("svg:text", NS)]
    assert f"and {len(nodes) - 150} more" in texts
    assert all(f"index {i}" in texts for i in range(3))
    assert len(root.findall("svg:circle", NS)) == 150 + 3


def test_hidden_contacts_the_caller_did_not_load_are_counted_too():
    _nodes, _edges, svg = _graph(index=1, contacts_per_index=1, second=0, hidden=7)
    assert "and 7 more" in svg


def test_an_empty_graph_is_still_an_svg():
    parse(transmission_svg([], [], labels=LABELS, title="nothing"))


def test_places_plan_numbers_the_visits_in_order():
    points = [PlacePoint(x=10, y=20, label="Gate <A>", number=2), PlacePoint(50, 80, "Shop", 1)]
    root = parse(places_svg(points, site_width=400, site_height=300, title="Zhang"))
    numbers = [t.text for t in root.findall("svg:text", NS) if t.text and t.text.isdigit()]
    assert numbers == ["1", "2"]
    assert root.find("svg:polyline", NS) is not None
