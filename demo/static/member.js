"use strict";
// One member's page: renders the state the server sends for this member only, and acts as them.
// Markdown arrives as HTML rendered (and escaped) server-side; everything else is set as text.
(function () {
  const me = decodeURIComponent(location.pathname.split("/")[2] || "");
  const $ = (id) => document.getElementById(id);
  let state = null;
  let current = null; // the channel or thread shown
  let command = null; // the slash command being filled in
  const revealed = new Set(); // spoilers this visitor clicked, by message and position
  let lastMessages = "";

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "html") node.innerHTML = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
  }
  window.demoToast = toast;

  async function act(body) {
    const r = await fetch(`/api/m/${encodeURIComponent(me)}/act`, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    const out = await r.json().catch(() => ({error: "The demo did not answer."}));
    if (!r.ok) toast(out.error || "That did not work.");
    return out;
  }

  // -- time ----------------------------------------------------------------------------------------
  const STYLES = {
    t: {hour: "2-digit", minute: "2-digit"},
    T: {hour: "2-digit", minute: "2-digit", second: "2-digit"},
    d: {day: "2-digit", month: "2-digit", year: "numeric"},
    D: {day: "numeric", month: "long", year: "numeric"},
    f: {day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit"},
    F: {weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit"},
  };
  function relative(when) {
    const now = state ? new Date(state.now) : new Date();
    const minutes = Math.round((when - now) / 60000);
    const rtf = new Intl.RelativeTimeFormat(undefined, {numeric: "auto"});
    if (Math.abs(minutes) < 60) return rtf.format(minutes, "minute");
    if (Math.abs(minutes) < 48 * 60) return rtf.format(Math.round(minutes / 60), "hour");
    return rtf.format(Math.round(minutes / 1440), "day");
  }
  function formatTimes(root) {
    for (const t of root.querySelectorAll("time.timestamp")) {
      const when = new Date(t.getAttribute("datetime"));
      const style = t.dataset.style || "f";
      t.textContent = style === "R" ? relative(when) : when.toLocaleString(undefined, STYLES[style] || STYLES.f);
      t.title = when.toString();
    }
  }
  function spoilers(root, key) {
    root.querySelectorAll(".spoiler").forEach((s, i) => {
      const id = `${key}:${i}`;
      if (revealed.has(id)) s.classList.add("revealed");
      s.addEventListener("click", (e) => {
        if (s.classList.contains("revealed")) return;
        e.preventDefault();
        s.classList.add("revealed");
        revealed.add(id);
      });
    });
    root.querySelectorAll("a.mention.channel").forEach((a) => {
      a.addEventListener("click", (e) => { e.preventDefault(); show(a.dataset.channel); });
    });
  }
  function rich(html, key) {
    const box = el("div", {class: "md", html});
    formatTimes(box);
    spoilers(box, key);
    return box;
  }

  // -- sidebar -------------------------------------------------------------------------------------
  function allChannels() {
    const out = [];
    for (const c of state.channels) {
      out.push({...c, kind: "channel"});
      for (const t of c.threads) out.push({...t, kind: "thread", parent: c.id});
    }
    for (const d of state.dms) out.push({...d, kind: "dm"});
    return out;
  }
  function renderSidebar() {
    const nav = $("sidebar");
    nav.replaceChildren();
    nav.append(el("div", {class: "server", text: state.server}));
    for (const c of state.channels) {
      nav.append(link(c.id, `# ${c.name}`, "channel-link"));
      for (const t of c.threads) {
        const mark = t.private ? "🔒 " : "🧵 ";
        const a = link(t.id, `${mark}${t.name}`, "thread-link");
        if (t.archived) a.classList.add("archived");
        nav.append(a);
      }
    }
    if (state.dms.length) nav.append(el("div", {class: "section", text: "Direct messages"}));
    for (const d of state.dms) nav.append(link(d.id, `✉ ${d.name}`, "dm-link"));
    nav.append(el("div", {class: "section", text: "Events"}));
    const events = el("div", {class: "events", "data-testid": "events"});
    for (const e of state.events) {
      events.append(el("div", {class: `event ${e.status}`},
        el("div", {class: "event-name", text: e.name}),
        rich(`<time class="timestamp" datetime="${e.start}" data-style="F"></time> · ${e.status}`, `ev${e.id}`),
        e.location ? el("div", {class: "event-where", text: e.location}) : null));
    }
    if (!state.events.length) events.append(el("div", {class: "muted", text: "None scheduled"}));
    nav.append(events);
  }
  function link(id, text, cls) {
    return el("a", {
      href: `#${id}`, class: `${cls}${id === current ? " active" : ""}`, text,
      dataset: {channelId: id}, onclick: (e) => { e.preventDefault(); show(id); },
    });
  }
  function show(id) {
    current = id;
    lastMessages = "";
    render();
  }

  // -- messages ------------------------------------------------------------------------------------
  function renderMessages() {
    const chan = allChannels().find((c) => c.id === current);
    const head = $("channel-head");
    head.replaceChildren(el("strong", {text: chan ? (chan.kind === "channel" ? `# ${chan.name}` : chan.name) : ""}));
    if (chan && chan.topic) head.append(el("span", {class: "topic", text: chan.topic}));
    const list = state.messages[current] || [];
    const signature = JSON.stringify(list);
    if (signature === lastMessages) return;
    lastMessages = signature;
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.replaceChildren(...list.map(renderMessage));
    if (!list.length) box.append(el("div", {class: "muted", text: "No messages yet."}));
    if (atBottom || !box.dataset.scrolled) box.scrollTop = box.scrollHeight;
    box.dataset.scrolled = "1";
  }
  function renderMessage(m) {
    const node = el("article", {class: `msg${m.ephemeral ? " ephemeral" : ""}${m.system ? " system" : ""}`,
      dataset: {id: m.id}});
    const when = new Date(m.at);
    node.append(el("header", {},
      el("span", {class: "author", text: m.author}),
      m.bot ? el("span", {class: "bot-tag", text: "APP"}) : null,
      el("span", {class: "when", text: when.toLocaleString(undefined, STYLES.f)}),
      m.edited ? el("span", {class: "muted", text: "(edited)"}) : null,
      state.message_commands.length && !m.ephemeral ? appsMenu(m) : null));
    if (m.command) node.append(el("div", {class: "muted used", text: `used /${m.command}`}));
    if (m.loading) node.append(el("div", {class: "muted", text: "BookBot is thinking…"}));
    if (m.html) node.append(rich(m.html, `${m.id}:c`));
    m.embeds.forEach((e, i) => node.append(renderEmbed(e, `${m.id}:e${i}`)));
    if (m.poll) node.append(renderPoll(m));
    for (const a of m.attachments) node.append(el("div", {class: "attachment", text: `📎 ${a}`}));
    const reactions = Object.entries(m.reactions || {});
    if (reactions.length) {
      node.append(el("div", {class: "reactions"}, ...reactions.map(([e, n]) => el("span", {text: `${e} ${n}`}))));
    }
    for (const row of m.rows) node.append(renderRow(m, row));
    if (m.thread) {
      const t = allChannels().find((c) => c.id === m.thread);
      if (t) node.append(el("a", {class: "thread-chip", href: `#${t.id}`, text: `🧵 ${t.name}`,
        onclick: (e) => { e.preventDefault(); show(t.id); }}));
    }
    if (m.ephemeral) {
      node.append(el("div", {class: "ephemeral-note", "data-testid": "ephemeral-note",
        text: "👁 Only you can see this"}));
    }
    return node;
  }
  function appsMenu(m) {
    const menu = el("select", {class: "apps", "aria-label": "Apps", title: "Apps (message commands)",
      onchange: async () => {
        const name = menu.value;
        menu.value = "";
        if (name) await act({kind: "message_command", name, message_id: m.id});
      }}, el("option", {value: "", text: "⋯ Apps"}));
    for (const name of state.message_commands) menu.append(el("option", {value: name, text: name}));
    return menu;
  }
  function renderEmbed(e, key) {
    const box = el("div", {class: "embed"});
    if (e.color) box.style.borderLeftColor = e.color;
    if (e.author) box.append(el("div", {class: "embed-author", text: e.author}));
    if (e.title) {
      const title = rich(e.title, `${key}:t`);
      title.classList.add("embed-title");
      box.append(title);
    }
    if (e.description) box.append(rich(e.description, `${key}:d`));
    if (e.fields.length) {
      const fields = el("div", {class: "fields"});
      e.fields.forEach((f, i) => {
        fields.append(el("div", {class: `field${f.inline ? " inline" : ""}`},
          rich(f.name, `${key}:f${i}n`), rich(f.value, `${key}:f${i}v`)));
      });
      box.append(fields);
    }
    if (e.image) box.append(el("div", {class: "muted", text: "[image]"}));
    if (e.footer) box.append(el("div", {class: "embed-footer", text: e.footer}));
    return box;
  }
  function renderPoll(m) {
    const p = m.poll;
    const total = p.answers.reduce((n, a) => n + a.count, 0);
    const box = el("div", {class: "poll", "data-testid": "poll"});
    box.append(el("div", {class: "poll-question", text: p.question}));
    for (const a of p.answers) {
      const share = total ? Math.round((100 * a.count) / total) : 0;
      const row = el("button", {type: "button", class: `poll-answer${a.mine ? " mine" : ""}`,
        disabled: p.finalized, dataset: {answer: String(a.id)},
        onclick: () => act({kind: a.mine ? "unvote" : "vote", message_id: m.id, answer: a.id})},
        el("span", {class: "bar", style: `width:${share}%`}),
        el("span", {class: "label", text: `${a.mine ? "✔ " : ""}${a.text}`}),
        el("span", {class: "count", "data-testid": "poll-count", text: `${a.count} vote${a.count === 1 ? "" : "s"}`}));
      box.append(row);
    }
    const end = p.finalized ? "Poll closed" : `${p.multiple ? "Select one or more" : "Select one"} · ends `;
    const foot = el("div", {class: "muted", text: `${total} vote${total === 1 ? "" : "s"} · ${end}`});
    if (!p.finalized && p.expiry) {
      const t = el("time", {class: "timestamp", datetime: p.expiry, dataset: {style: "R"}});
      foot.append(t);
      formatTimes(foot);
    }
    box.append(foot);
    return box;
  }
  function renderRow(m, row) {
    const box = el("div", {class: "row"});
    for (const c of row) {
      if (c.kind === "button") {
        if (c.url) {
          box.append(el("a", {class: "btn link", href: c.url, target: "_blank", rel: "noopener noreferrer", text: `${c.label} ↗`}));
        } else {
          box.append(el("button", {type: "button", class: `btn ${c.style}`, disabled: c.disabled, text: c.label,
            onclick: async (e) => {
              e.target.disabled = true;
              await act({kind: "click", message_id: m.id, button: c.match});
              e.target.disabled = false;
            }}));
        }
      } else if (c.kind === "select") {
        const sel = el("select", {class: "menu", disabled: c.disabled || c.entity, multiple: c.max > 1,
          "aria-label": c.placeholder});
        if (c.max <= 1) sel.append(el("option", {value: "", text: c.placeholder}));
        for (const o of c.options) sel.append(el("option", {value: o.value, text: o.label, title: o.description || ""}));
        const send = () => {
          const values = [...sel.selectedOptions].map((o) => o.value).filter(Boolean);
          if (values.length) act({kind: "choose", message_id: m.id, select: c.custom_id, values});
        };
        if (c.max > 1) box.append(sel, el("button", {type: "button", class: "btn secondary", text: "Choose", onclick: send}));
        else { sel.addEventListener("change", send); box.append(sel); }
      }
    }
    return box;
  }

  // -- modal ---------------------------------------------------------------------------------------
  function renderModal() {
    const box = $("modal");
    if (!state.modal) { box.hidden = true; box.replaceChildren(); box.dataset.shown = ""; return; }
    const key = JSON.stringify(state.modal);
    if (box.dataset.shown === key) return;
    box.dataset.shown = key;
    const form = el("form", {class: "modal-card"});
    form.append(el("h2", {text: state.modal.title}));
    for (const f of state.modal.fields) {
      const input = f.paragraph
        ? el("textarea", {name: f.id, required: f.required, maxlength: f.max || undefined, rows: 5})
        : el("input", {name: f.id, required: f.required, maxlength: f.max || undefined});
      input.value = f.value;
      form.append(el("label", {}, el("span", {text: f.label}), input));
    }
    form.append(el("div", {class: "row"},
      el("button", {type: "button", class: "btn secondary", text: "Cancel",
        onclick: () => act({kind: "dismiss_modal"})}),
      el("button", {type: "submit", class: "btn primary", text: "Submit"})));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      await act({kind: "modal", values});
    });
    box.replaceChildren(form);
    box.hidden = false;
  }

  // -- composer: messages and slash commands -------------------------------------------------------
  const input = $("input");
  const palette = $("palette");
  function renderPalette() {
    const typed = input.value;
    if (!typed.startsWith("/") || command) { palette.hidden = true; return; }
    const q = typed.slice(1).toLowerCase();
    const found = state.commands.filter((c) => c.name.includes(q)).slice(0, 12);
    palette.replaceChildren(...found.map((c) => el("button", {type: "button", class: "cmd", dataset: {command: c.name},
      onclick: () => openCommand(c)}, el("strong", {text: `/${c.name}`}), el("span", {text: ` ${c.description}`}))));
    palette.hidden = !found.length;
  }
  function optionInput(o) {
    let field;
    if (o.choices.length || o.type === "boolean") {
      const choices = o.type === "boolean" ? [{name: "true", value: "true"}, {name: "false", value: "false"}] : o.choices;
      field = el("select", {name: o.name}, el("option", {value: "", text: o.required ? "choose…" : "(none)"}),
        ...choices.map((c) => el("option", {value: String(c.value), text: c.name})));
    } else if (["user", "mentionable"].includes(o.type)) {
      field = el("select", {name: o.name}, el("option", {value: "", text: "member…"}),
        ...state.members.map((m) => el("option", {value: m.id, text: m.name})));
    } else if (o.type === "channel") {
      field = el("select", {name: o.name}, el("option", {value: "", text: "channel…"}),
        ...allChannels().filter((c) => c.kind !== "dm").map((c) => el("option", {value: c.id, text: c.name})));
    } else if (o.type === "role") {
      field = el("select", {name: o.name}, el("option", {value: "", text: "role…"}),
        ...state.roles.map((r) => el("option", {value: r.id, text: r.name})));
    } else if (o.type === "attachment") {
      field = el("input", {name: o.name, type: "file"});
    } else {
      field = el("input", {name: o.name, type: ["integer", "number"].includes(o.type) ? "number" : "text",
        step: o.type === "number" ? "any" : undefined, min: o.min ?? undefined, max: o.max ?? undefined});
    }
    field.dataset.option = o.name;
    const wrap = el("label", {class: "option"}, el("span", {class: "opt-name", text: `${o.name}${o.required ? "*" : ""}`}), field,
      el("span", {class: "opt-help", text: o.description}));
    if (o.autocomplete) {
      const list = el("div", {class: "choices", "data-testid": "autocomplete"});
      wrap.append(list);
      field.addEventListener("input", () => suggest(o, field, list));
      field.addEventListener("focus", () => suggest(o, field, list));
    }
    return wrap;
  }
  async function suggest(o, field, list) {
    const mine = (suggest.seq = (suggest.seq || 0) + 1);
    delete field.dataset.value;
    const out = await act({kind: "autocomplete", command: command.name, channel_id: current,
      focused: o.name, options: {...collect(false), [o.name]: field.value}});
    if (mine !== suggest.seq || !out.choices) return;
    list.replaceChildren(...out.choices.map((c) => el("button", {type: "button", class: "choice", text: c.name,
      onclick: () => { field.value = c.name; field.dataset.value = String(c.value); list.replaceChildren(); }})));
  }
  function collect(withFiles) {
    const values = {};
    for (const f of $("command-form").querySelectorAll("[data-option]")) {
      if (f.type === "file") { if (withFiles && f.files[0]) values[f.dataset.option] = f.files[0]; continue; }
      const v = f.dataset.value ?? f.value;
      if (v !== "") values[f.dataset.option] = v;
    }
    return values;
  }
  function openCommand(c) {
    command = c;
    palette.hidden = true;
    input.value = `/${c.name}`;
    input.readOnly = true;
    const form = $("command-form");
    form.replaceChildren(el("div", {class: "cmd-title"}, el("strong", {text: `/${c.name}`}), el("span", {text: ` ${c.description}`})),
      ...c.options.map(optionInput),
      el("div", {class: "row"},
        el("button", {type: "button", class: "btn secondary", text: "Cancel", onclick: closeCommand}),
        el("button", {type: "submit", class: "btn primary", text: "Send", "data-testid": "send-command"})));
    form.hidden = false;
    const first = form.querySelector("[data-option]");
    if (first) first.focus();
  }
  function closeCommand() {
    command = null;
    input.readOnly = false;
    input.value = "";
    $("command-form").hidden = true;
    $("command-form").replaceChildren();
  }
  async function fileValue(file) {
    const buf = new Uint8Array(await file.arrayBuffer());
    let bin = "";
    for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return {name: file.name, data: btoa(bin)};
  }
  $("composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (command) {
      const values = collect(true);
      for (const [k, v] of Object.entries(values)) if (v instanceof File) values[k] = await fileValue(v);
      const name = command.name;
      closeCommand();
      await act({kind: "slash", command: name, channel_id: current, options: values});
      return;
    }
    const text = input.value.trim();
    if (!text) return;
    if (text.startsWith("/")) {
      const exact = state.commands.find((c) => c.name === text.slice(1).trim());
      if (exact) openCommand(exact);
      return;
    }
    input.value = "";
    await act({kind: "say", channel_id: current, content: text});
  });
  input.addEventListener("input", renderPalette);
  input.addEventListener("keydown", (e) => { if (e.key === "Escape") closeCommand(); });

  // -- state ---------------------------------------------------------------------------------------
  function render() {
    $("who").textContent = `${state.me.name} sees ${state.server}`;
    document.title = `${state.me.name}: bookclub-bot demo`;
    const ids = allChannels().map((c) => c.id);
    if (!ids.includes(current)) current = state.channels.length ? state.channels[0].id : null;
    renderSidebar();
    renderMessages();
    renderModal();
    if (window.demoClock) window.demoClock.show(state.now);
    document.body.dataset.ready = "1";
  }
  const stream = new EventSource(`/api/m/${encodeURIComponent(me)}/events`);
  stream.addEventListener("state", (e) => {
    state = JSON.parse(e.data);
    render();
  });
  stream.onerror = () => toast("Lost the connection to the demo; retrying…");
})();
