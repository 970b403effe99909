// The report's question explorer. Data comes from the inert JSON block beside this script; every piece of it is
// written with textContent, never as markup, so a question or an answer can show HTML but never run or load any.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("explorer-data").textContent);
  var app = document.getElementById("explorer-app");
  var arms = data.arms.map(function (a) { return a.name; });

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function select(id, label, options) {
    var s = el("select", { id: id });
    options.forEach(function (o) { s.appendChild(el("option", { value: o[0] }, [o[1]])); });
    return [el("label", { "for": id }, [label]), s];
  }

  var any = [["", "any"]];
  var armOptions = arms.map(function (a) { return [a, a]; });
  var controls = el("div", { "class": "ex-controls" }, [].concat(
    select("ex-kind", "kind ", any.concat(data.kinds.map(function (k) { return [k, k]; }))),
    select("ex-arm", " arm ", any.concat(armOptions)),
    select("ex-class", " diagnosis ", any.concat(data.classes.map(function (c) { return [c, c]; }))),
    select("ex-right", " right: ", any.concat(armOptions)),
    select("ex-wrong", " wrong: ", any.concat(armOptions)),
    [el("label", { "for": "ex-text" }, [" text "]), el("input", { id: "ex-text", type: "search",
                                                                  placeholder: "question, reference or answer" })]
  ));
  var count = el("p", { id: "explorer-count" });
  var head = el("tr", {}, [el("th", {}, ["question"]), el("th", {}, ["kind"])].concat(
    arms.map(function (a) { return el("th", { "data-arm": a }, [a]); })));
  var body = el("tbody");
  var table = el("table", { id: "explorer-table" }, [el("thead", {}, [head]), body]);
  var detail = el("div", { id: "explorer-detail" });
  app.appendChild(el("p", {}, ["Every test question with each arm's answer: \u2713 correct, \u2717 incorrect " +
    "(hover for the diagnosis). Click a question to read the answers, the reference, the gold evidence and the " +
    "chunks each retrieval arm read."]));
  app.append(controls, count, el("div", { "class": "ex-scroll" }, [table]), detail);

  var rows = data.questions.map(function (q, i) {
    var hay = [q.id, q.q, q.ref].concat(arms.map(function (a) { return q.by[a] ? q.by[a].answer : ""; }))
      .join("\n").toLowerCase();
    var tr = el("tr", { "data-index": String(i), tabindex: "0" },
      [el("td", {}, [q.q]), el("td", {}, [q.kind])].concat(arms.map(function (a) {
        var r = q.by[a];
        return el("td", { "class": r ? (r.correct ? "ok" : "bad") : "", title: r ? r["class"] : "not answered" },
                  [r ? (r.correct ? "\u2713" : "\u2717") : "\u2013"]);
      })));
    tr.addEventListener("click", function () { open(i); });
    tr.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { open(i); } });
    body.appendChild(tr);
    return { tr: tr, q: q, hay: hay };
  });

  function value(id) { return document.getElementById(id).value; }

  function shown(row) {
    var q = row.q, kind = value("ex-kind"), arm = value("ex-arm"), cls = value("ex-class");
    var right = value("ex-right"), wrong = value("ex-wrong"), text = value("ex-text").trim().toLowerCase();
    if (kind && q.kind !== kind) { return false; }
    if (cls) {
      var among = arm ? [arm] : arms;
      if (!among.some(function (a) { return q.by[a] && q.by[a]["class"] === cls; })) { return false; }
    } else if (arm && !q.by[arm]) { return false; }
    if (right && !(q.by[right] && q.by[right].correct)) { return false; }
    if (wrong && !(q.by[wrong] && !q.by[wrong].correct)) { return false; }
    return !text || row.hay.indexOf(text) >= 0;
  }

  function apply() {
    var n = 0;
    rows.forEach(function (row) {
      var show = shown(row);
      row.tr.hidden = !show;
      n += show ? 1 : 0;
    });
    count.textContent = n + " of " + rows.length + " questions shown";
    count.setAttribute("data-shown", String(n));
  }

  function chunkList(read) {
    return el("ol", { "class": "ex-chunks" }, read.map(function (c) {
      return el("li", { "class": c[1] ? "evidence" : "" },
                (c[1] ? [el("strong", {}, ["evidence: "])] : []).concat([data.chunks[c[0]]]));
    }));
  }

  function open(i) {
    var q = data.questions[i], arm = value("ex-arm");
    detail.replaceChildren(
      el("h3", {}, [q.q]),
      el("p", {}, [el("strong", {}, ["Reference: "]), q.answerable ? q.ref : q.ref + " (unanswerable: the right " +
                                                                       "answer refuses)"]),
      el("p", {}, [el("strong", {}, ["Kind: "]), q.kind + "   ", el("strong", {}, ["Gold documents: "]),
                   q.gold.join(", ") || "none"]));
    if (q.evidence.length) {
      detail.append(el("details", {}, [el("summary", {}, ["Gold evidence (what the ceiling reads)"]),
        chunkList(q.evidence.map(function (c) { return [c, false]; }))]));
    }
    (arm ? [arm] : arms).forEach(function (a) {
      var r = q.by[a];
      if (!r) { return; }
      var box = el("div", { "class": "ex-answer " + (r.correct ? "ok" : "bad"), "data-arm": a }, [
        el("h4", {}, [a + ": " + (r.correct ? "correct" : "incorrect") + " (credit " + r.credit + ", " +
                      r["class"] + ")"]),
        el("p", {}, [r.answer || "(empty answer)"])]);
      if (r.read.length) {
        box.append(el("details", {}, [el("summary", {}, ["Chunks read (" + r.read.length + ", from " +
          (r.retrieved.join(", ") || "no document") + ")"]), chunkList(r.read)]));
      }
      detail.appendChild(box);
    });
    detail.setAttribute("data-question", q.id);
    detail.scrollIntoView({ block: "nearest" });
  }

  ["ex-kind", "ex-arm", "ex-class", "ex-right", "ex-wrong"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", apply);
  });
  document.getElementById("ex-text").addEventListener("input", apply);
  apply();
  app.setAttribute("data-ready-ms", String(Math.round(performance.now())));  // since navigation began
  app.setAttribute("data-ready", "1");
})();
