// Live eligibility on the screening page: every change of the form asks the server
// (POST /api/studies/{study}/eligibility, nothing saved) and redraws the criteria table.
// Without this file the page still shows the eligibility of the saved form.
"use strict";
(() => {
  const UNIT = "unit:";
  const SKIPPED = new Set(["csrf_token", "version", "reason"]);

  function collect(form) {
    const values = {};
    const units = {};
    for (const element of form.elements) {
      if (!element.name || SKIPPED.has(element.name)) continue;
      if (element.name.startsWith(UNIT)) units[element.name.slice(UNIT.length)] = element.value;
      else values[element.name] = element.value;
    }
    return { values, units };
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function shown(value) {
    if (value === null || value === undefined) return "empty";
    return String(value);
  }

  function render(table, answer) {
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const c of answer.criteria) {
      const row = document.createElement("tr");
      row.className = "depth-" + Math.min(c.depth, 4) + (c.value === "unknown" ? " unknown" : "");
      row.dataset.criterion = c.id;
      const first = cell(row);
      const id = document.createElement("span");
      id.className = "criterion-id";
      id.textContent = c.id;
      first.append(id, document.createElement("br"), c.description);
      cell(row, c.value === "unknown" ? "UNKNOWN" : c.value, "truth meaning-" + c.meaning);
      const inputs = cell(row);
      const texts = c.inputs_shown || {};
      for (const [name, value] of Object.entries(c.inputs)) {
        const line = document.createElement("div");
        line.textContent = name + " = " + (name in texts ? texts[name] : shown(value));
        inputs.appendChild(line);
      }
      cell(row, c.source, "hint");
      body.appendChild(row);
    }
    const eligible = document.getElementById("eligible");
    eligible.textContent = answer.eligible;
    eligible.className = "truth-" + answer.eligible;
    const poseidon = document.getElementById("poseidon");
    if (poseidon) poseidon.textContent = answer.poseidon_group || "—";
  }

  function showErrors(box, errors) {
    box.replaceChildren();
    for (const message of Object.values(errors || {})) {
      const line = document.createElement("div");
      line.textContent = message;
      box.appendChild(line);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("visit-form");
    const table = document.getElementById("eligibility");
    const errors = document.getElementById("eligibility-errors");
    if (!form || !table || !errors) return;
    const token = form.querySelector('input[name="csrf_token"]');
    if (!token || !form.querySelector("button[type=submit]")) return;
    let timer = null;
    let sequence = 0;

    async function refresh() {
      const mine = ++sequence;
      try {
        const response = await fetch(table.dataset.url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": token.value },
          body: JSON.stringify(collect(form)),
        });
        if (mine !== sequence) return;
        const answer = await response.json();
        if (response.ok) {
          showErrors(errors, {});
          render(table, answer);
        } else {
          showErrors(errors, answer.errors || { detail: answer.detail });
        }
      } catch (problem) {
        if (mine === sequence) showErrors(errors, { detail: "eligibility could not be updated: " + problem });
      }
    }

    const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 250); };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  });
})();
