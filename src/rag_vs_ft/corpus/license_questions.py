"""Yes/no questions generated from the curated licence labels: the labels are the ground truth.

Each licence document carries lines "Permissions: ...", "Conditions: ...", "Limitations: ..."
(see loaders.load_choosealicense). The answer restates the relevant line, so it is supported by the document.
"""

from __future__ import annotations

from rag_vs_ft.corpus.schema import Document

# (slug, question template, label group, label that means "yes")
CHECKS = (
    ("disclose-source", "Does the {title} require you to disclose the source code when you distribute the software?",
     "Conditions", "Disclose source"),
    ("same-license", "Under the {title}, must modifications be released under the same license when distributed?",
     "Conditions", "Same license"),
    ("patent-grant", "Does the {title} give an express grant of patent rights?", "Permissions", "Patent use"),
)


def label_lines(doc: Document) -> dict[str, list[str]]:
    out = {}
    for line in doc.text.splitlines()[:6]:
        for group in ("Permissions", "Conditions", "Limitations"):
            if line.startswith(group + ":"):
                body = line[len(group) + 1:].strip().rstrip(".")
                out[group] = [] if body == "none" else [x.strip() for x in body.split(",")]
    return out


def license_questions(docs: list[Document]) -> list[dict]:
    rows = []
    for doc in sorted(docs, key=lambda d: d.id):
        if not doc.id.startswith("license-"):
            continue
        labels = label_lines(doc)
        for slug, template, group, label in CHECKS:
            present = labels.get(group, [])
            # "Same license" also covers its file/library variants, which are labelled "Same license (file)" etc.
            yes = any(x == label or x.startswith(label + " (") for x in present)
            listed = ", ".join(present) if present else "none"
            answer = (f"Yes. Its {group.lower()} include {label}." if yes
                      else f"No. Its {group.lower()} are: {listed}.")
            rows.append({"id": f"{doc.id}-{slug}", "question": template.format(title=doc.title), "answer": answer,
                         "doc_ids": [doc.id], "answerable": True, "kind": "license"})
    return rows
