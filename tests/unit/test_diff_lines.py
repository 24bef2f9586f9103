"""Where a line comment sits in a diff: GitHub's position and diff_hunk."""

from __future__ import annotations

from infra.github_emulator.diff_lines import anchor

DIFF = """diff --git a/calc.py b/calc.py
index 1..2 100644
--- a/calc.py
+++ b/calc.py
@@ -1,4 +1,5 @@
 def sum_to(n):
-    total = 0
+    total = 0  # running sum
+    # the loop
     for i in range(1, n):
@@ -10,2 +11,2 @@ def other():
-    return 1
+    return 2
"""


# Positions: 1 " def", 2 "-total", 3 "+total", 4 "+# the loop", 5 " for" (old 3, new 4),
# 6 the second header, 7 "-return 1" (old 10), 8 "+return 2" (new 11).


def test_a_right_side_line_gets_its_hunk_down_to_that_line():
    found = anchor(DIFF, 3, "RIGHT")
    assert found is not None
    assert found.position == 4
    assert found.diff_hunk.splitlines() == [
        "@@ -1,4 +1,5 @@",
        " def sum_to(n):",
        "-    total = 0",
        "+    total = 0  # running sum",
        "+    # the loop",
    ]


def test_a_context_line_is_on_both_sides_and_a_later_hunk_header_is_a_position():
    right, left = anchor(DIFF, 4, "RIGHT"), anchor(DIFF, 3, "LEFT")
    assert right is not None and right.position == 5
    assert left == right  # the same context line, seen from either side
    later = anchor(DIFF, 11, "RIGHT")
    assert later is not None and later.position == 8
    assert later.diff_hunk == "@@ -10,2 +11,2 @@ def other():\n-    return 1\n+    return 2"


def test_a_removed_line_is_on_the_left_only_and_lines_off_the_diff_have_no_anchor():
    removed = anchor(DIFF, 2, "LEFT")
    assert removed is not None and removed.position == 2
    added = anchor(DIFF, 2, "RIGHT")
    assert added is not None and added.position == 3
    assert anchor(DIFF, 10, "RIGHT") is None  # a header's start, not a shown line
    assert anchor(DIFF, 8, "RIGHT") is None
    assert anchor(DIFF, 10, "LEFT") is not None
    assert anchor("", 1, "RIGHT") is None
