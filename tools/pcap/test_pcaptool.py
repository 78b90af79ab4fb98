#!/usr/bin/env python3
"""Self-test of pcaptool.py (standard library only): python3 tools/pcap/test_pcaptool.py"""

import io
import os
import struct
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaptool  # noqa: E402


def run(*argv):
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = pcaptool.main(list(argv))
    return rc, buf.getvalue()


class PcapToolTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.sent = os.path.join(self.dir.name, "sent.pcap")
        self.recv = os.path.join(self.dir.name, "recv.pcap")
        rc, _ = run("gen", self.sent, "--count", "50", "--sizes", "60,128,1514,70-900",
                    "--seed", "5", "--src-mac", "02:00:00:00:00:01",
                    "--dst-mac", "02:00:00:00:00:02")
        self.assertEqual(rc, 0)
        self.frames = [f for f, _ in pcaptool.read_pcap(self.sent)[0]]

    def tearDown(self):
        self.dir.cleanup()

    def write(self, frames):
        pcaptool.write_pcap(self.recv, frames)

    def test_gen_layout(self):
        self.assertEqual(len(self.frames), 50)
        self.assertEqual([len(f) for f in self.frames[:3]], [60, 128, 1514])
        self.assertTrue(70 <= len(self.frames[3]) <= 900)
        for seq, f in enumerate(self.frames):
            self.assertEqual(f[0:6], bytes.fromhex("020000000002"))
            self.assertEqual(f[6:12], bytes.fromhex("020000000001"))
            self.assertEqual(pcaptool.frame_seq(f), seq)

    def test_gen_is_deterministic(self):
        other = os.path.join(self.dir.name, "again.pcap")
        run("gen", other, "--count", "50", "--sizes", "60,128,1514,70-900", "--seed", "5",
            "--src-mac", "02:00:00:00:00:01", "--dst-mac", "02:00:00:00:00:02")
        with open(self.sent, "rb") as a, open(other, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_identical(self):
        self.write(self.frames)
        rc, out = run("compare", self.sent, self.recv)
        self.assertEqual(rc, 0, out)
        self.assertIn("matched=50", out)

    def test_swapped(self):
        self.write([pcaptool.swap_macs(f) for f in self.frames])
        self.assertEqual(run("compare", self.sent, self.recv)[0], 1)
        self.assertEqual(run("compare", self.sent, self.recv, "--swap-macs")[0], 0)

    def test_missing(self):
        self.write(self.frames[:-1])
        rc, out = run("compare", self.sent, self.recv)
        self.assertEqual(rc, 1)
        self.assertIn("missing=1", out)
        self.assertEqual(run("compare", self.sent, self.recv, "--allow-missing")[0], 0)

    def test_corrupted_duplicate_foreign(self):
        frames = list(self.frames)
        frames[7] = frames[7][:40] + bytes([frames[7][40] ^ 1]) + frames[7][41:]
        frames.append(frames[3])
        frames.append(b"\xff" * 60)
        self.write(frames)
        rc, out = run("compare", self.sent, self.recv, "--allow-missing")
        self.assertEqual(rc, 1)
        self.assertIn("corrupted=1", out)
        self.assertIn("duplicates=1", out)
        self.assertIn("foreign=1", out)
        self.assertIn("first difference at byte 40", out)

    def test_order(self):
        self.write(list(reversed(self.frames)))
        self.assertEqual(run("compare", self.sent, self.recv)[0], 0)
        self.assertEqual(run("compare", self.sent, self.recv, "--check-order")[0], 1)

    def test_nanosecond_big_endian_input(self):
        # net_pcap writes nanosecond pcaps; accept both byte orders.
        with open(self.recv, "wb") as f:
            f.write(struct.pack(">IHHiIII", pcaptool.PCAP_MAGIC_NS, 2, 4, 0, 0, 65535, 1))
            for fr in self.frames:
                f.write(struct.pack(">IIII", 1, 2, len(fr), len(fr)) + fr)
        self.assertEqual(run("compare", self.sent, self.recv)[0], 0)

    def test_truncated_last_record_and_count(self):
        self.write(self.frames)
        with open(self.recv, "ab") as f:
            f.write(b"\x00" * 10)
        self.assertEqual(run("count", self.recv)[1].strip(), "50")
        self.assertEqual(run("count", os.path.join(self.dir.name, "absent.pcap"))[1].strip(), "0")

    def test_broadcast_and_count_filters(self):
        path = os.path.join(self.dir.name, "b.pcap")
        run("gen", path, "--count", "16", "--broadcast-every", "4", "--first-seq", "100")
        self.assertEqual(run("count", path, "--dst", "ff:ff:ff:ff:ff:ff")[1].strip(), "4")
        self.assertEqual(run("count", path, "--dst", "02:00:00:00:00:02")[1].strip(), "12")
        self.assertEqual(pcaptool.frame_seq(pcaptool.read_pcap(path)[0][0][0]), 100)

    def test_several_sent_files(self):
        path = os.path.join(self.dir.name, "b.pcap")
        run("gen", path, "--count", "5", "--first-seq", "1000", "--seed", "9")
        extra = [f for f, _ in pcaptool.read_pcap(path)[0]]
        self.write(extra + self.frames)
        self.assertEqual(run("compare", self.sent + "," + path, self.recv)[0], 0)


if __name__ == "__main__":
    unittest.main()
