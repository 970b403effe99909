"""Tiny documents shared by tests in several folders (test modules do not import each other: pytest runs in
importlib mode, so only the helpers at tests/ root are importable)."""

from rag_vs_ft.corpus.schema import Document, QAItem

DOCS = [
    Document("gdpr-art-33", "GDPR Article 33 — Notification of a personal data breach",
             "The controller shall notify the supervisory authority of a personal data breach within 72 hours."),
    Document("license-mit", "MIT License", "Permission is hereby granted, free of charge, to any person obtaining "
             "a copy of this software to deal in the Software without restriction."),
    Document("dora-art-28", "DORA Article 28 — ICT third-party risk",
             "Financial entities shall manage ICT third-party risk as an integral component of ICT risk. " * 5),
]

# eight one-topic documents and a dev question on each: dense retrieval finds every one, a blind embedder does not
TOPICS = ["breach notices", "software licences", "ICT suppliers", "bank capital", "consumer credit",
          "data portability", "market abuse", "insurance claims"]
TOPIC_DOCS = [Document(f"doc-{i}", f"Topic {i}", f"Section {i} says that topic {i} concerns {w} and only {w}. " * 3)
              for i, w in enumerate(TOPICS)]
TOPIC_DEV = [(f"What does the section on {w} say?", {f"doc-{i}"}) for i, w in enumerate(TOPICS)]


def make_pdf(text: str, title: str = "") -> bytes:
    """A minimal but valid one-page PDF (correct xref offsets) showing `text` in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>"),
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Title ({title}) >>".encode()]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def rules(n: int):
    docs = [Document(f"d{i}", f"Rule {i}", f"Rule {i} says that the deadline is {i + 2} days after notice.")
            for i in range(n)]
    qa = [QAItem(f"q{i}", f"What is the deadline under rule {i}?", f"{i + 2} days after notice.", (f"d{i}",),
                 True, "a") for i in range(n)]
    return docs, qa
