from widget.linkify import Segment, segments


def test_plain_text_stays_text() -> None:
    assert segments("hello <b>there</b>") == [Segment("hello <b>there</b>")]


def test_http_links_and_trailing_punctuation() -> None:
    assert segments("See https://example.com/docs. Thanks") == [
        Segment("See "),
        Segment("https://example.com/docs", "https://example.com/docs"),
        Segment(". Thanks"),
    ]


def test_balanced_parentheses_stay_in_the_url() -> None:
    url = "https://en.wikipedia.org/wiki/Widget_(GUI)"
    assert segments(f"({url})") == [Segment("("), Segment(url, url), Segment(")")]


def test_emails_become_mailto() -> None:
    assert segments("write to jane@example.com!") == [
        Segment("write to "),
        Segment("jane@example.com", "mailto:jane@example.com"),
        Segment("!"),
    ]


def test_javascript_and_data_urls_are_never_links() -> None:
    text = "javascript:alert(1) data:text/html,<script>alert(1)</script>"
    assert segments(text) == [Segment(text)]


def test_empty() -> None:
    assert segments("") == []
