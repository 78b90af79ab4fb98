#!/usr/bin/env python3
"""pcaptool: generate Ethernet test traffic into a pcap file and compare pcaps.

Standard library only.

  pcaptool.py gen OUT.pcap --count N [--sizes 60,128,512,1514] [--random-sizes]
                  [--src-mac 02:00:00:00:00:01] [--dst-mac 02:00:00:00:00:02]
                  [--seed S] [--ethertype 0x88b5] [--broadcast-every K] [--first-seq N]

      Every frame is <dst mac><src mac><ethertype><magic "VNTF"><seq u32 BE>
      <frame length u16 BE><seed u16 BE><pseudo-random bytes>.  The sizes are
      frame lengths without FCS (60..9000); they are used in the given order,
      cycling, or drawn at random from the list with --random-sizes.  An item
      "A-B" in --sizes means a random length in [A, B] for each frame.  With
      --broadcast-every K every K-th frame (seq % K == K-1) goes to
      ff:ff:ff:ff:ff:ff instead of --dst-mac.  --first-seq lets several files
      carry disjoint sequence numbers.

  pcaptool.py compare SENT.pcap[,SENT2.pcap...] RECEIVED.pcap [--swap-macs] [--allow-missing]
                  [--allow-foreign] [--check-order] [--quiet]

      Checks that every received frame (after swapping destination and source
      MAC when --swap-macs is given) is byte-for-byte equal to a sent frame.
      Reports sent / received / matched / missing / corrupted / duplicates /
      foreign counts.  Exit status 0 only if there is no corrupted, duplicate
      or foreign frame and (unless --allow-missing) nothing is missing, i.e.
      the received count equals the sent count.  With --check-order frames
      received out of the sent order also fail the comparison.  Several sent
      files (comma-separated) are taken as one sent stream, in that order.

  pcaptool.py info FILE.pcap     prints the number of frames and the sizes seen
  pcaptool.py count FILE.pcap [--dst MAC] [--src MAC]
                                 prints the number of complete frames (with that
                                 destination / source MAC); tolerates a missing
                                 file or a truncated last record, which is what a
                                 file still being written looks like

Exit status: 0 success, 1 comparison failed, 2 usage or file error.
"""

import argparse
import random
import struct
import sys

MAGIC = b"VNTF"
HDR_LEN = 14  # dst(6) src(6) ethertype(2)
# magic(4) seq(4) len(2) seed(2)
TAG_FMT = ">4sIHH"
TAG_LEN = struct.calcsize(TAG_FMT)
MIN_FRAME = HDR_LEN + TAG_LEN

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1


class PcapError(Exception):
    pass


def parse_mac(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError(f"bad MAC address {text!r}")
    try:
        b = bytes(int(p, 16) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad MAC address {text!r}") from None
    return b


def fmt_mac(b):
    return ":".join(f"{x:02x}" for x in b)


def parse_sizes(text):
    items = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "-" in item:
            lo, hi = item.split("-", 1)
            lo, hi = int(lo), int(hi)
            if lo > hi:
                lo, hi = hi, lo
            items.append((lo, hi))
        else:
            v = int(item)
            items.append((v, v))
    if not items:
        raise argparse.ArgumentTypeError("empty --sizes")
    for lo, hi in items:
        if lo < MIN_FRAME or hi > 9000:
            raise argparse.ArgumentTypeError(
                f"frame sizes must be within [{MIN_FRAME}, 9000], got {lo}-{hi}")
    return items


def write_pcap(path, frames, snaplen=65535):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, snaplen,
                            LINKTYPE_ETHERNET))
        for i, fr in enumerate(frames):
            ts_sec, ts_usec = 1_700_000_000 + i // 1_000_000, i % 1_000_000
            f.write(struct.pack("<IIII", ts_sec, ts_usec, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path, tolerate_truncation=False):
    """Returns (frames, notes). frames is a list of (bytes, orig_len)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise PcapError(f"{path}: {e.strerror}") from None
    if len(data) < 24:
        if tolerate_truncation:
            return [], ["file shorter than the pcap header"]
        raise PcapError(f"{path}: too short for a pcap header ({len(data)} bytes)")
    magic_le = struct.unpack("<I", data[:4])[0]
    magic_be = struct.unpack(">I", data[:4])[0]
    if magic_le in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        endian = "<"
    elif magic_be in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        endian = ">"
    else:
        raise PcapError(f"{path}: not a pcap file (magic {data[:4].hex()}); pcapng is not supported")
    _, vmaj, vmin, _, _, snaplen, linktype = struct.unpack(endian + "IHHiIII", data[:24])
    if linktype & 0xFFFF != LINKTYPE_ETHERNET:
        raise PcapError(f"{path}: link type {linktype} is not Ethernet")
    frames = []
    notes = []
    off = 24
    rec = struct.Struct(endian + "IIII")
    while off < len(data):
        if off + 16 > len(data):
            notes.append(f"truncated record header at offset {off}")
            break
        _, _, caplen, origlen = rec.unpack_from(data, off)
        off += 16
        if off + caplen > len(data):
            notes.append(f"truncated record data at offset {off}")
            break
        frames.append((data[off:off + caplen], origlen))
        off += caplen
    if notes and not tolerate_truncation:
        raise PcapError(f"{path}: " + "; ".join(notes))
    return frames, notes


def make_frame(seq, length, src, dst, ethertype, seed, rng):
    tag = struct.pack(TAG_FMT, MAGIC, seq, length, seed & 0xFFFF)
    body_len = length - HDR_LEN - TAG_LEN
    body = rng.randbytes(body_len) if body_len > 0 else b""
    return dst + src + struct.pack(">H", ethertype) + tag + body


def cmd_gen(args):
    rng = random.Random(args.seed)
    frames = []
    sizes = args.sizes
    bcast = b"\xff" * 6
    for i in range(args.count):
        seq = args.first_seq + i
        if args.random_sizes:
            lo, hi = sizes[rng.randrange(len(sizes))]
        else:
            lo, hi = sizes[i % len(sizes)]
        length = lo if lo == hi else rng.randint(lo, hi)
        dst = args.dst_mac
        if args.broadcast_every and seq % args.broadcast_every == args.broadcast_every - 1:
            dst = bcast
        frames.append(make_frame(seq, length, args.src_mac, dst,
                                 args.ethertype, args.seed, rng))
    write_pcap(args.out, frames)
    total = sum(len(f) for f in frames)
    print(f"pcaptool gen: wrote {len(frames)} frames ({total} bytes) to {args.out}")
    return 0


def frame_seq(frame):
    """Sequence number of a frame built by gen, or None."""
    if len(frame) < MIN_FRAME or frame[HDR_LEN:HDR_LEN + 4] != MAGIC:
        return None
    _, seq, _, _ = struct.unpack_from(TAG_FMT, frame, HDR_LEN)
    return seq


def swap_macs(frame):
    if len(frame) < 12:
        return frame
    return frame[6:12] + frame[0:6] + frame[12:]


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def cmd_compare(args):
    sent = []
    for path in args.sent.split(","):
        part, _ = read_pcap(path)
        sent.extend(part)
    recv, notes = read_pcap(args.received, tolerate_truncation=True)
    for n in notes:
        print(f"pcaptool compare: warning: {args.received}: {n}")

    sent_frames = [f for f, _ in sent]
    by_bytes = {}
    for i, f in enumerate(sent_frames):
        by_bytes.setdefault(f, i)
    by_seq = {}
    for i, f in enumerate(sent_frames):
        s = frame_seq(f)
        if s is not None:
            by_seq.setdefault(s, i)

    seen = [0] * len(sent_frames)
    corrupted = []     # (recv index, sent index or None, description)
    foreign = []       # (recv index, description)
    duplicates = []    # (recv index, sent index)
    out_of_order = 0
    last_idx = -1
    matched = 0
    for ri, (raw, origlen) in enumerate(recv):
        f = swap_macs(raw) if args.swap_macs else raw
        if len(raw) != origlen:
            idx = by_seq.get(frame_seq(f))
            corrupted.append((ri, idx, f"truncated capture {len(raw)} of {origlen} bytes"))
            continue
        idx = by_bytes.get(f)
        if idx is None:
            s = frame_seq(f)
            sidx = by_seq.get(s) if s is not None else None
            if sidx is not None:
                ref = sent_frames[sidx]
                d = first_diff(f, ref)
                corrupted.append((ri, sidx,
                                  f"seq {s}: received {len(f)} bytes, sent {len(ref)} bytes, "
                                  f"first difference at byte {d}"))
                seen[sidx] += 1  # counted as present but corrupted
            else:
                desc = (f"{len(f)} bytes dst={fmt_mac(raw[0:6])} src={fmt_mac(raw[6:12])}"
                        if len(raw) >= 12 else f"{len(raw)} bytes")
                foreign.append((ri, desc))
            continue
        if seen[idx]:
            duplicates.append((ri, idx))
        else:
            matched += 1
            if idx < last_idx:
                out_of_order += 1
            last_idx = max(last_idx, idx)
        seen[idx] += 1

    missing = [i for i, c in enumerate(seen) if c == 0]
    print(f"pcaptool compare: sent={len(sent_frames)} received={len(recv)} matched={matched} "
          f"missing={len(missing)} corrupted={len(corrupted)} duplicates={len(duplicates)} "
          f"foreign={len(foreign)} out_of_order={out_of_order}"
          f"{' (macs swapped)' if args.swap_macs else ''}")
    limit = 10
    if not args.quiet:
        for ri, sidx, desc in corrupted[:limit]:
            print(f"  corrupted: received #{ri}: {desc}")
        for ri, desc in foreign[:limit]:
            print(f"  foreign: received #{ri}: {desc} matches no sent frame")
        for ri, sidx in duplicates[:limit]:
            print(f"  duplicate: received #{ri} repeats sent #{sidx}")
        if missing and not args.allow_missing:
            shown = ",".join(str(i) for i in missing[:20])
            more = "..." if len(missing) > 20 else ""
            print(f"  missing sent frames (index): {shown}{more}")

    reasons = []
    if corrupted:
        reasons.append(f"{len(corrupted)} corrupted")
    if foreign:
        reasons.append(f"{len(foreign)} foreign")
    if duplicates:
        reasons.append(f"{len(duplicates)} duplicated")
    if missing and not args.allow_missing:
        reasons.append(f"{len(missing)} missing")
    if len(recv) != len(sent_frames) and not args.allow_missing:
        reasons.append(f"received {len(recv)} != sent {len(sent_frames)}")
    if args.check_order and out_of_order:
        reasons.append(f"{out_of_order} out of order")
    if args.allow_foreign and foreign:
        reasons = [r for r in reasons if "foreign" not in r]
        if len(recv) - len(foreign) == len(sent_frames):
            reasons = [r for r in reasons if not r.startswith("received ")]
    if reasons:
        print("pcaptool compare: MISMATCH: " + ", ".join(reasons))
        return 1
    print("pcaptool compare: OK")
    return 0


def cmd_info(args):
    frames, notes = read_pcap(args.file, tolerate_truncation=True)
    sizes = {}
    for f, _ in frames:
        sizes[len(f)] = sizes.get(len(f), 0) + 1
    print(f"{args.file}: {len(frames)} frames, {sum(len(f) for f, _ in frames)} bytes")
    for n in notes:
        print(f"  note: {n}")
    for s in sorted(sizes):
        print(f"  size {s}: {sizes[s]}")
    return 0


def cmd_count(args):
    try:
        frames, _ = read_pcap(args.file, tolerate_truncation=True)
    except PcapError:
        frames = []
    n = 0
    for f, _ in frames:
        if args.dst is not None and f[0:6] != args.dst:
            continue
        if args.src is not None and f[6:12] != args.src:
            continue
        n += 1
    print(n)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="pcaptool.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    g = sub.add_parser("gen", help="generate a pcap of test frames")
    g.add_argument("out")
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--sizes", type=parse_sizes, default=parse_sizes("60,128,256,512,1024,1514"))
    g.add_argument("--random-sizes", action="store_true")
    g.add_argument("--src-mac", type=parse_mac, default=parse_mac("02:00:00:00:00:01"))
    g.add_argument("--dst-mac", type=parse_mac, default=parse_mac("02:00:00:00:00:02"))
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--ethertype", type=lambda s: int(s, 0), default=0x88B5)
    g.add_argument("--broadcast-every", type=int, default=0)
    g.add_argument("--first-seq", type=int, default=0)
    g.set_defaults(func=cmd_gen)

    c = sub.add_parser("compare", help="compare a received pcap with the sent one")
    c.add_argument("sent")
    c.add_argument("received")
    c.add_argument("--swap-macs", action="store_true")
    c.add_argument("--allow-missing", action="store_true")
    c.add_argument("--allow-foreign", action="store_true")
    c.add_argument("--check-order", action="store_true")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=cmd_compare)

    i = sub.add_parser("info", help="summarise a pcap")
    i.add_argument("file")
    i.set_defaults(func=cmd_info)

    n = sub.add_parser("count", help="print the number of complete frames")
    n.add_argument("file")
    n.add_argument("--dst", type=parse_mac)
    n.add_argument("--src", type=parse_mac)
    n.set_defaults(func=cmd_count)

    args = p.parse_args(argv)
    if args.cmd == "gen" and args.count < 0:
        p.error("--count must be >= 0")
    try:
        return args.func(args)
    except PcapError as e:
        print(f"pcaptool {args.cmd}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
