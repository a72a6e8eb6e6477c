"""The ``dhcpwire lint`` command: findings with frames and sections, summary, levels, JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dhcpwire.cli import main

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
DORA = CAPTURES / "arkime_arkime__wireshark-dhcp.pcap"
AVM = CAPTURES / "sjm-steffann_dhcpkit__avm-client.pcapng"
RENEWAL = CAPTURES / "chrissanders_packets__dhcp_inlease_renewal.pcapng"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_lint_reports_findings_with_frame_and_rfc_section() -> None:
    status, out, _ = run("lint", str(DORA))
    assert status == 1
    assert ("frame 2: error: DHCPOFFER: option 61 (client-identifier) is missing "
            "[RFC 6842 section 3]") in out.splitlines()
    assert out.splitlines()[-1] == ("4 messages: 2 errors, 0 warnings (not shown: 2 info; "
                                    "--all shows every level)")


def test_lint_prints_a_per_rule_summary() -> None:
    out = run("lint", "--all", str(DORA))[1].splitlines()
    start = out.index("rules broken:")
    assert out[start + 1].split() == ["client-id-echo", "error", "2", "RFC", "6842", "section",
                                      "3"]
    assert out[start + 2].split()[:3] == ["reply-message-should", "info", "2"]
    assert out[-1] == "4 messages: 2 errors, 0 warnings, 2 info"


def test_lint_info_is_shown_with_all_only() -> None:
    assert "SHOULD appear" not in run("lint", str(DORA))[1]
    assert "frame 2: info: DHCPOFFER: option 56 (message) SHOULD appear" in run(
        "lint", "--all", str(DORA))[1]


def test_lint_errors_only_says_what_it_counts() -> None:
    status, out, _ = run("lint", "--errors-only", str(AVM))
    assert status == 1 and " warning: " not in out
    assert out.splitlines()[-1] == "5 messages: 6 errors (not shown: 3 info)"


def test_lint_reports_table_5_violations_of_a_release() -> None:
    status, out, _ = run("lint", "--all", str(AVM))
    assert status == 1
    assert ("frame 9: error: DHCPRELEASE: option 12 (host-name) MUST NOT appear "
            "[RFC 2131 section 4.4.1, table 5]") in out
    assert "frame 9: info: DHCPRELEASE: option 56 (message) SHOULD appear" in out


def test_lint_finds_hops_copied_into_relayed_replies() -> None:
    out = run("lint", str(AVM))[1]
    assert ("frame 2: error: DHCPOFFER: 'hops' is 1, not 0 [RFC 2131 section 4.3.1, "
            "table 3]") in out


def test_lint_clean_capture_exits_0_and_strict_fails_on_warnings(tmp_path: Path) -> None:
    status, out, _ = run("lint", str(RENEWAL))
    assert status == 0 and out.splitlines()[-1].startswith("2 messages: 0 errors, 0 warnings")
    assert run("lint", "--strict", str(RENEWAL))[0] == 0  # info never fails
    # a DISCOVER with option 56 (table 5: SHOULD NOT) is a warning
    discover = ("0101060000003d1d" + "00" * 20 + "000b8201fc42" + "00" * 202 + "63825363"
                + "350101" + "3802" + "6869" + "ff")
    assert run("lint", discover)[0] == 0
    assert run("lint", "--strict", discover)[0] == 1


def test_lint_json_is_json_lines_with_a_summary() -> None:
    status, out, _ = run("lint", "--json", str(DORA))
    assert status == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [x["type"] for x in lines] == ["finding", "finding", "summary"]
    assert lines[0] == {"schema": 1, "type": "finding", "source": "frame 2", "level": "error",
                        "rule": "client-id-echo", "reference": "RFC 6842 section 3",
                        "text": "DHCPOFFER: option 61 (client-identifier) is missing"}
    assert lines[-1]["rules"] == {"client-id-echo": {"level": "error", "count": 2,
                                                     "reference": "RFC 6842 section 3"}}
    assert (lines[-1]["messages"], lines[-1]["info"], lines[-1]["shown"]) == (
        4, 2, ["error", "warning"])


def test_lint_undecodable_message_is_an_error_finding() -> None:
    status, out, _ = run("lint", str(CAPTURES / "ntop_nDPI__dhcp-fuzz.pcapng"))
    assert status == 1
    assert "frame 1: error: TruncatedOption: option 60 of length 49 runs past" in out


@pytest.mark.parametrize("capture", sorted(p.name for p in CAPTURES.glob("*.pcap*")))
def test_lint_runs_over_every_capture_without_a_traceback(capture: str) -> None:
    status, out, err = run("lint", "--all", str(CAPTURES / capture))
    assert status in (0, 1) and "Traceback" not in err and "internal error" not in err
    assert " message" in out.splitlines()[-1] or err


def test_one_message_is_singular() -> None:
    hexed = ("0101060000003d1d" + "00" * 20 + "000b8201fc42" + "00" * 202 + "63825363"
             + "350101" + "ff")
    assert run("lint", hexed)[1].splitlines()[-1] == "1 message: 0 errors, 0 warnings"
