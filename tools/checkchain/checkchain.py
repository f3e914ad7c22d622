#!/usr/bin/env python3
"""checkchain: verify a day's receipt export without feepos.

Usage: checkchain.py [--cert CERT.pem]... [--xmlsec1 PATH] [--openssl PATH] DIR

DIR holds what `feepos receipts export --drop DIR --date D` wrote (the files
of one or more consecutive days): one EBL01_<MST>_<series>_<number>.xml per
receipt and CHOTNGAY_<YYYYMMDD>.xml, the signed daily closure, once the day
is closed. For each receipt the checker

  * verifies its XML signature with `xmlsec1 --verify` (against the --cert
    certificates if given, else against the certificate the signature
    carries, which proves the file unchanged but not who signed it), and
    that the signing certificate's MST (UID "MST:...", read with `openssl
    x509`) is the organisation's tax code when the certificate has one;
  * recomputes the content hash from the XML (the canonical JSON of
    docs/RECEIPTS.md, "Canonical form and hash chain") and, for receipts of
    format 2, the chain hash; format 1's chain hash covers an internal row
    id that is not in the XML, so for those only the content hash and the
    links are checked (said in the output);
  * checks the links: in each series (template and letters, across years),
    each receipt's PrevHash is the Hash of the one before it, and no number
    is missing between the first and the last file;

and for each closure it verifies the signature and compares its count,
total, first and last number and chain head per series with the receipts
of that date in DIR. Exit 0: everything holds; 1: something does not (each
problem on its own line); 2: bad usage or a missing tool.

Python 3.8+ standard library, xmlsec1 and openssl; nothing from feepos.
"""

import argparse
import base64
import collections
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

RNS = "urn:feepos:receipt:1"
CNS = "urn:feepos:closure:1"
DSNS = "http://www.w3.org/2000/09/xmldsig#"
GENESIS = "0" * 64


def text(el, path, ns=RNS):
    """Text of the element at path (ElementTree path, "r:" or "c:" for ns), "" when absent or empty."""
    found = el.find(path, {"r": ns, "c": ns})
    if found is None or found.text is None:
        return ""
    return found.text


def go_json(obj):
    """JSON as Go's encoding/json writes it with SetEscapeHTML(false)."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def canonical(root, version):
    """The canonical content of a receipt document (docs/RECEIPTS.md)."""
    lines = []
    for line in root.findall("r:Lines/r:Line", {"r": RNS}):
        lines.append({"name": text(line, "r:Name"), "kind": text(line, "r:Kind"),
                      "fee_code": text(line, "r:FeeCode"), "amount": int(text(line, "r:Amount"))})
    pay = root.find("r:Payment", {"r": RNS})
    c = {
        "v": version,
        "org": {"code": text(root, "r:Organisation/r:Code"), "name": text(root, "r:Organisation/r:Name"),
                "tax_code": text(root, "r:Organisation/r:TaxCode"), "address": text(root, "r:Organisation/r:Address")},
        "payer": {"name": text(root, "r:Payer/r:Name"), "address": text(root, "r:Payer/r:Address"),
                  "id_number": text(root, "r:Payer/r:IDNumber")},
        "lines": lines,
        "total": int(text(root, "r:Total")),
        "currency": root.find("r:Total", {"r": RNS}).get("currency", ""),
        "total_in_words": text(root, "r:TotalInWords"),
        "method": pay.get("method", "") if pay is not None else "",
        "dossier": text(root, "r:Dossier"),
        "card": {"terminal_id": text(root, "r:Payment/r:Card/r:TerminalID"),
                 "trace_no": text(root, "r:Payment/r:Card/r:TraceNo"),
                 "approval_code": text(root, "r:Payment/r:Card/r:ApprovalCode"),
                 "pan_masked": text(root, "r:Payment/r:Card/r:PANMasked")},
        "replaces": {"template": text(root, "r:Replaces/r:Template"), "series": text(root, "r:Replaces/r:Series"),
                     "number": int(text(root, "r:Replaces/r:Number") or "0")},
    }
    if version >= 2:
        # Format 2's payer: whether the ID number is printed in full
        # (IDNumber printed="full") and the payer's tax code, after id_number.
        idn = root.find("r:Payer/r:IDNumber", {"r": RNS})
        c["payer"]["id_printed"] = idn is not None and idn.get("printed", "") == "full"
        c["payer"]["tax_code"] = text(root, "r:Payer/r:TaxCode")
        c["delegate"] = {"name": text(root, "r:Delegate/r:Name"), "tax_code": text(root, "r:Delegate/r:TaxCode")}
    return go_json(c).encode("utf-8")


def chain_hash_v2(template, series, number, issued_at, content_hash, prev_hash):
    parts = ["feepos-receipt-v2", template, series, str(number), issued_at, content_hash, prev_hash]
    return hashlib.sha256("".join(p + "\n" for p in parts).encode("utf-8")).hexdigest()


class Checker:
    def __init__(self, certs, xmlsec1, openssl):
        self.certs, self.xmlsec1, self.openssl = certs, xmlsec1, openssl
        self.problems = []
        self.notes = []

    def bad(self, name, why):
        self.problems.append(f"{name}: {why}")

    def signature(self, path, name):
        """Verify the enveloped signature with xmlsec1; return the signing certificate (DER) or None."""
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            self.bad(name, f"not well-formed XML ({e})")
            return None, None
        sigs = root.findall(f".//{{{DSNS}}}Signature")
        if len(sigs) != 1 or root[-1] is not sigs[0]:
            self.bad(name, "not signed with exactly one enveloped signature, last in the document")
            return root, None
        refs = sigs[0].findall(f"{{{DSNS}}}SignedInfo/{{{DSNS}}}Reference")
        if len(refs) != 1 or refs[0].get("URI") != "":
            self.bad(name, 'the signature does not cover the whole document (one Reference with URI="")')
            return root, None
        cmd = [self.xmlsec1, "--verify", "--enabled-reference-uris", "empty"]
        if self.certs:
            for c in self.certs:
                cmd += ["--trusted-pem", c]
        else:
            cmd += ["--insecure"]
        # The certificate is checked as valid at the document's signing time, as
        # feepos does; xmlsec1 reads the time in the machine's zone.
        when = text(root, "r:SigningTime") or text(root, "c:ClosedAt", CNS)
        if when:
            t = datetime.datetime.fromisoformat(re.sub(r"\.\d+", "", when))
            cmd += ["--verification-time", t.astimezone().strftime("%Y-%m-%d %H:%M:%S")]
        cmd.append(path)
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            why = " ".join(res.stderr.strip().splitlines()[-2:]) if res.stderr.strip() else f"exit {res.returncode}"
            self.bad(name, f"xmlsec1 --verify fails: {why}")
            return root, None
        b64 = sigs[0].find(f"{{{DSNS}}}KeyInfo/{{{DSNS}}}X509Data/{{{DSNS}}}X509Certificate")
        if b64 is None or not (b64.text or "").strip():
            self.bad(name, "the signature carries no certificate")
            return root, None
        return root, base64.b64decode("".join(b64.text.split()))

    def cert_taxcodes(self, der):
        """The MSTs of a certificate subject (UID "MST:..."), read with openssl."""
        with tempfile.NamedTemporaryFile(suffix=".der") as f:
            f.write(der)
            f.flush()
            res = subprocess.run([self.openssl, "x509", "-inform", "DER", "-in", f.name, "-noout", "-subject",
                                  "-nameopt", "RFC2253,sep_multiline,utf8"], capture_output=True, text=True)
        if res.returncode != 0:
            return None
        return re.findall(r"MST:([0-9A-Za-z\- ]+)", res.stdout)

    def receipt(self, path):
        name = os.path.basename(path)
        root, der = self.signature(path, name)
        if root is None:
            return None
        if root.tag != f"{{{RNS}}}Receipt":
            self.bad(name, f"not a receipt document ({root.tag})")
            return None
        version = int(root.get("version", "1"))
        if version not in (1, 2):
            self.bad(name, f"receipt format {version}: this checker knows formats 1 and 2")
            return None
        org_tax = text(root, "r:Organisation/r:TaxCode")
        if der is not None:
            msts = self.cert_taxcodes(der)
            norm = lambda s: s.replace(" ", "").replace("-", "")
            if msts is None:
                self.bad(name, "openssl cannot read the signing certificate")
            elif msts and norm(org_tax) not in [norm(m) for m in msts]:
                self.bad(name, f"signed with the certificate of MST {', '.join(msts)}, not the organisation's {org_tax}")
        r = {
            "name": name, "version": version, "template": text(root, "r:Template"), "series": text(root, "r:Series"),
            "number": int(text(root, "r:Number")), "issued_at": text(root, "r:IssuedAt"),
            "date": text(root, "r:IssueDate"), "total": int(text(root, "r:Total")),
            "content_hash": text(root, "r:Chain/r:ContentHash"), "prev_hash": text(root, "r:Chain/r:PrevHash"),
            "hash": text(root, "r:Chain/r:Hash"),
        }
        r["year"], r["letters"] = int(r["series"][:2]), r["series"][3:]
        lines = [int(text(l, "r:Amount")) for l in root.findall("r:Lines/r:Line", {"r": RNS})]
        if sum(lines) != r["total"]:
            self.bad(name, f"total {r['total']} is not the sum of its lines, {sum(lines)}")
        got = hashlib.sha256(canonical(root, version)).hexdigest()
        if got != r["content_hash"]:
            self.bad(name, f"content hash {r['content_hash']} does not match the content, whose hash is {got}")
        if version >= 2:
            h = chain_hash_v2(r["template"], r["series"], r["number"], r["issued_at"], r["content_hash"], r["prev_hash"])
            if h != r["hash"]:
                self.bad(name, f"chain hash {r['hash']} does not match its inputs, which give {h}")
        else:
            self.notes.append(f"{name}: format 1, its chain hash covers feepos's row id: content hash and links checked only")
        return r

    def links(self, rs):
        chains = collections.defaultdict(list)
        for r in rs:
            chains[(r["template"], r["letters"])].append(r)
        for (template, letters), chain in sorted(chains.items()):
            chain.sort(key=lambda r: (r["year"], r["number"]))
            for prev, cur in zip(chain, chain[1:]):
                follows = (cur["year"] == prev["year"] and cur["number"] == prev["number"] + 1) or \
                          (cur["year"] > prev["year"] and cur["number"] == 1)
                if not follows:
                    self.bad(cur["name"], f"receipts are missing between {prev['series']}-{prev['number']:08d} and "
                                          f"{cur['series']}-{cur['number']:08d} (the directory must hold consecutive days)")
                elif cur["prev_hash"] != prev["hash"]:
                    self.bad(cur["name"], f"PrevHash {cur['prev_hash']} is not the Hash of {prev['name']}, {prev['hash']}")
        return chains

    def closure(self, path, receipts):
        name = os.path.basename(path)
        root, _ = self.signature(path, name)
        if root is None:
            return
        ns = {"c": CNS}
        day = text(root, "c:BusinessDate", CNS)
        by_key = {(r["template"], r["letters"], r["series"], r["number"]): r for r in receipts}
        total_count = total_sum = 0
        for s in root.findall("c:Series", ns):
            template, letters = s.get("template"), s.get("letters")
            mine = sorted((r for r in receipts if r["template"] == template and r["letters"] == letters and r["date"] == day),
                          key=lambda r: (r["year"], r["number"]))
            count, total = int(text(s, "c:Count", CNS)), int(text(s, "c:Total", CNS))
            total_count, total_sum = total_count + count, total_sum + total
            where = f"{name} series {template} {letters}"
            if count != len(mine):
                self.bad(where, f"closes {count} receipts of {day}, the directory has {len(mine)}")
            if total != sum(r["total"] for r in mine):
                self.bad(where, f"closes a total of {total}, the receipts of {day} here add up to {sum(r['total'] for r in mine)}")
            if mine and (text(s, "c:FirstNumber", CNS) != str(mine[0]["number"]) or text(s, "c:LastNumber", CNS) != str(mine[-1]["number"])):
                self.bad(where, f"closes numbers {text(s, 'c:FirstNumber', CNS)}–{text(s, 'c:LastNumber', CNS)}, "
                                f"the directory has {mine[0]['number']}–{mine[-1]['number']}")
            head = by_key.get((template, letters, text(s, "c:Head/c:Series", CNS), int(text(s, "c:Head/c:Number", CNS) or "0")))
            if head is not None and head["hash"] != text(s, "c:Head/c:Hash", CNS):
                self.bad(where, f"its chain head {text(s, 'c:Head/c:Hash', CNS)} is not the Hash of {head['name']}, {head['hash']}")
            elif head is None and mine:
                self.bad(where, f"its chain head {text(s, 'c:Head/c:Series', CNS)}-{text(s, 'c:Head/c:Number', CNS)} is not in the directory")
        if total_count != int(text(root, "c:Count", CNS)) or total_sum != int(text(root, "c:Total", CNS)):
            self.bad(name, "its overall count or total is not the sum of its series")
        return day


def main(argv):
    ap = argparse.ArgumentParser(description="Verify a day's receipt export (feepos receipts export --drop DIR) without feepos.")
    ap.add_argument("dir")
    ap.add_argument("--cert", action="append", default=[], help="trusted signing certificate (PEM); repeat for each organisation")
    ap.add_argument("--xmlsec1", default="xmlsec1")
    ap.add_argument("--openssl", default="openssl")
    a = ap.parse_args(argv)
    for tool in (a.xmlsec1, a.openssl):
        try:
            subprocess.run([tool, "--version" if tool == a.xmlsec1 else "version"], capture_output=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            print(f"checkchain: {tool} is not installed (Debian: apt-get install xmlsec1 openssl)", file=sys.stderr)
            return 2
    if not os.path.isdir(a.dir):
        print(f"checkchain: {a.dir} is not a directory", file=sys.stderr)
        return 2
    ck = Checker(a.cert, a.xmlsec1, a.openssl)
    names = sorted(os.listdir(a.dir))
    rs = [r for r in (ck.receipt(os.path.join(a.dir, n)) for n in names if re.fullmatch(r"EBL01_.+\.xml", n)) if r]
    ck.links(rs)
    days = [d for d in (ck.closure(os.path.join(a.dir, n), rs) for n in names if re.fullmatch(r"CHOTNGAY_\d{8}\.xml", n)) if d]
    for note in ck.notes:
        print("note: " + note)
    if not rs and not days:
        print(f"checkchain: {a.dir} holds no receipt (EBL01_*.xml) and no closure (CHOTNGAY_*.xml)", file=sys.stderr)
        return 1
    if ck.problems:
        for p in ck.problems:
            print("FAIL " + p)
        print(f"checkchain: {len(ck.problems)} problem(s) in {a.dir}")
        return 1
    trust = "the certificates given" if a.cert else "the certificate each signature carries (not compared with a trusted one: give --cert)"
    print(f"OK: {len(rs)} receipts, {len(days)} closures ({', '.join(days) or 'day not closed'}); "
          f"hashes recomputed, links hold, signatures verified by xmlsec1 against {trust}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
