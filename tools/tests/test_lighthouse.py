import lighthouse


def report(*audits):
    """A Lighthouse report with these (id, weight, score) accessibility audits."""
    return {
        "audits": {id: {"title": f"{id} title", "score": score} for id, _, score in audits},
        "categories": {
            "accessibility": {"auditRefs": [{"id": id, "weight": w} for id, w, _ in audits]}
        },
    }


def test_only_scored_audits_that_failed_are_named():
    result = report(
        ("heading-order", 3, 0),
        ("color-contrast", 7, 1),
        ("td-headers-attr", 7, None),  # not applicable: nothing on the page to check
        ("region", 0, 0),  # Lighthouse shows it but does not count it
    )
    assert lighthouse.failed_audits(result) == [("heading-order", "heading-order title")]


def test_the_table_has_a_row_per_page():
    rows = [("/", 100, []), ("/reference/", 98, [("heading-order", "Headings")])]
    assert lighthouse.table(rows, "12.8.2", "HeadlessChrome/156").splitlines()[-2:] == [
        "| `/` | 100 | none |",
        "| `/reference/` | 98 | heading-order |",
    ]
