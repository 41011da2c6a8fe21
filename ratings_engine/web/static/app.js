// The workbench page: every edit of the tables is sent to the server, which re-rates the corpus
// and answers with the results as HTML. No framework, no build step, nothing from the internet.
"use strict";

(function () {
  let sequence = 0;         // answers to older edits are dropped
  let checkSequence = 0;
  let timer = null;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }

  function formState() {
    const form = {};
    for (const body of $all("tbody[data-table]")) {
      form[body.dataset.table] = $all("tr[data-row]", body).map(function (tr) {
        const row = {};
        for (const input of $all("input, select", tr)) {
          row[input.name] = input.type === "checkbox" ? input.checked : input.value;
        }
        return row;
      });
    }
    return form;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    return response;
  }

  async function answer(response) {
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) {
      return response.json();
    }
    return {ok: false, error: (await response.text()) || ("HTTP " + response.status)};
  }

  function showError(message) {
    const box = $("#error");
    if (message) { box.textContent = message; box.hidden = false; } else { box.textContent = ""; box.hidden = true; }
  }

  async function evaluate() {
    const mine = ++sequence;
    const form = formState();
    $("#status").textContent = "Re-rating...";
    let data;
    try {
      data = await answer(await post("/api/rate", {form: form, level: $("#level").value}));
    } catch (err) {
      data = {ok: false, error: "The workbench did not answer: " + err};
    }
    if (mine !== sequence) { return; }
    if (!data.ok) {
      showError(data.error);
      $("#status").textContent = "Not re-rated: correct the tables.";
      $("#results").classList.add("stale");
      return;
    }
    showError("");
    $("#results").classList.remove("stale");
    $("#results").innerHTML = data.html;
    $("#status").textContent = "Re-rated: " + data.moved + " unit(s) move; server time " + data.server_ms + " ms.";
    document.body.dataset.sha256 = data.sha256;
    check(form);
  }

  async function check(form) {
    const mine = ++checkSequence;
    $("#checks").classList.add("stale");
    let data;
    try {
      data = await answer(await post("/api/check", {form: form}));
    } catch (err) {
      data = {ok: false, error: "The workbench did not answer: " + err};
    }
    if (mine !== checkSequence) { return; }
    $("#checks").classList.remove("stale");
    if (!data.ok) { $("#checks").textContent = data.error; return; }
    $("#checks").innerHTML = data.html;
    document.body.dataset.checked = $("#findings") ? "yes" : "no";
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(evaluate, 250);
  }

  // Moving a band's lower bound moves the neighbouring row's upper bound that met it (and back).
  function linkBounds(input, before) {
    if (!$("#link-bounds") || !$("#link-bounds").checked || before === "") { return; }
    const partner = {min: "below", above: "max", below: "min", max: "above"}[input.name];
    for (const other of $all('tbody[data-table="key_question_bands"] input[name="' + partner + '"]')) {
      if (other !== input && other.value === before) { other.value = input.value; }
    }
  }

  function wire() {
    const editor = $("#editor");
    editor.addEventListener("focusin", function (event) {
      if (event.target.dataset && event.target.dataset.bound) { event.target.dataset.before = event.target.value; }
    });
    editor.addEventListener("input", function (event) {
      const t = event.target;
      if (!t.closest("#tables")) { return; }
      if (t.dataset && t.dataset.bound) { linkBounds(t, t.dataset.before || ""); t.dataset.before = t.value; }
      schedule();
    });
    editor.addEventListener("change", function (event) {
      if (event.target.closest("#tables")) { schedule(); }
    });
    editor.addEventListener("click", function (event) {
      const t = event.target;
      const row = t.closest("tr[data-row]");
      if (t.classList.contains("remove") && row) { row.remove(); schedule(); }
      else if (t.classList.contains("up") && row && row.previousElementSibling) { row.parentNode.insertBefore(row, row.previousElementSibling); schedule(); }
      else if (t.classList.contains("down") && row && row.nextElementSibling) { row.parentNode.insertBefore(row.nextElementSibling, row); schedule(); }
      else if (t.classList.contains("add-row")) {
        const body = $('tbody[data-table="' + t.dataset.table + '"]');
        const fresh = $("#new-" + t.dataset.table).content.firstElementChild.cloneNode(true);
        if (t.dataset.table === "overall_bands") { body.insertBefore(fresh, body.firstElementChild); } else { body.appendChild(fresh); }
        $('input[name="id"]', fresh).focus();
      }
    });
    $("#level").addEventListener("change", evaluate);
    $("#save-rulebook").addEventListener("click", function () {
      download("/api/rulebook", {form: formState(), id: $("#candidate-id").value, title: $("#candidate-title").value},
               ($("#candidate-id").value || "candidate") + ".yaml");
    });
    for (const button of $all("button.export")) {
      button.addEventListener("click", function () {
        const ext = {csv: "csv", xlsx: "xlsx", markdown: "md"}[button.dataset.format];
        download("/api/export", {form: formState(), format: button.dataset.format}, "diff." + ext);
      });
    }
    $("#upload").addEventListener("change", async function (event) {
      const file = event.target.files[0];
      if (!file) { return; }
      const response = await fetch("/api/upload", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/yaml"}, body: await file.text()});
      const data = await answer(response);
      event.target.value = "";
      if (!data.ok) { showError(data.error); return; }
      $("#tables").innerHTML = data.html;
      evaluate();
    });
    $("#reset").addEventListener("click", function () { window.location.reload(); });
  }

  async function download(url, body, name) {
    const response = await post(url, body);
    if (!response.ok) { showError((await answer(response)).error); return; }
    showError("");
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    wire();
    check(formState());
    document.body.dataset.ready = "yes";
  });
})();
