/* ibchannel admin: small enhancements only; every page works without this file. */
"use strict";

document.addEventListener("DOMContentLoaded", function () {
	/* Copy buttons next to URLs: shown only where the clipboard works. */
	document.querySelectorAll("[data-copy]").forEach(function (b) {
		if (!navigator.clipboard)
			return;
		b.hidden = false;
		b.addEventListener("click", function () {
			var el = document.getElementById(b.getAttribute("data-copy"));
			navigator.clipboard.writeText(el.textContent).then(function () {
				b.textContent = "Copied";
				setTimeout(function () { b.textContent = "Copy"; }, 1500);
			});
		});
	});

	/* Forms that ask first (Delete, Remove). */
	document.querySelectorAll("form[data-confirm]").forEach(function (f) {
		f.addEventListener("submit", function (e) {
			if (!window.confirm(f.getAttribute("data-confirm")))
				e.preventDefault();
		});
	});

	/* Buttons that ask first (Fail selected), in a form that does not. */
	document.querySelectorAll("button[data-confirm]").forEach(function (b) {
		b.addEventListener("click", function (e) {
			if (!window.confirm(b.getAttribute("data-confirm")))
				e.preventDefault();
		});
	});

	/*
	 * A Start waits for Infobip's answer: its button is disabled meanwhile,
	 * so that a second click does not ask again (the server refuses a
	 * second Start anyway). Coming back to the page (history) enables it.
	 */
	document.querySelectorAll("form button.start").forEach(function (b) {
		var label = b.textContent;
		b.form.addEventListener("submit", function (e) {
			if (b.disabled) {
				e.preventDefault();
				return;
			}
			b.disabled = true;
			b.setAttribute("aria-busy", "true");
			b.textContent = "Starting\u2026";
		});
		window.addEventListener("pageshow", function () {
			b.disabled = false;
			b.removeAttribute("aria-busy");
			b.textContent = label;
		});
	});

	/* A status in motion (STARTING, STOPPING) refreshes until it settles. */
	var head = document.getElementById("conn-status");
	if (head) {
		var dot = head.querySelector(".dot");
		var poll = function () {
			var s = dot.getAttribute("data-status");
			if (s !== "STARTING" && s !== "STOPPING")
				return;
			fetch("/admin/connections/" + head.getAttribute("data-id") +
			    "/status", { credentials: "same-origin" })
			    .then(function (r) { return r.json(); })
			    .then(function (j) {
				if (j.status !== s)
					window.location.reload();
				else
					setTimeout(poll, 1000);
			    });
		};
		setTimeout(poll, 1000);
	}
});
