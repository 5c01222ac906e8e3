/* ibchannel admin, Campaigns pages: upload progress and live progress bars; every page works without this file. */
"use strict";

(function () {
	var MOVING = { scheduled: 1, running: 1 };

	function mib(n) {
		return (n / 1048576).toFixed(1) + " MiB";
	}

	/* A random token naming this upload, so that its import's progress can be asked for. */
	function token() {
		var b = new Uint8Array(16), s = "";
		if (!window.crypto || !window.crypto.getRandomValues)
			return null;
		window.crypto.getRandomValues(b);
		b.forEach(function (x) { s += (x < 16 ? "0" : "") + x.toString(16); });
		return s;
	}

	/* Asks how far the import has got until done() says the answer came. */
	function importing(tok, bar, text, done) {
		var tick = function () {
			if (done())
				return;
			fetch("/admin/campaigns/progress?token=" + tok, { credentials: "same-origin" })
			    .then(function (r) { return r.ok ? r.json() : null; })
			    .then(function (j) {
				if (done())
					return;
				if (j && j.known) {
					if (j.total > 0)
						bar.value = Math.floor(100 * j.bytes / j.total);
					text.textContent = "Importing: " + j.lines + " lines read" +
					    (j.total > 0 ? " (" + bar.value + " %)" : "") + "\u2026";
				}
				setTimeout(tick, 500);
			    })
			    .catch(function () { setTimeout(tick, 2000); });
		};
		setTimeout(tick, 300);
	}

	/* Puts a status answer into one progress bar. */
	function show(box, j) {
		var total = j.total || 0;
		box.querySelectorAll("[data-seg]").forEach(function (s) {
			var n = j.counts[s.getAttribute("data-seg")] || 0;
			s.style.width = (total > 0 ? 100 * n / total : 0).toFixed(3) + "%";
		});
		box.querySelectorAll("b[data-k]").forEach(function (b) {
			var k = b.getAttribute("data-k");
			var v = k === "pct" ? j.pct : k === "total" ? j.total : j.counts[k];
			if (v !== undefined)
				b.textContent = String(v);
		});
		var row = box.closest("tr");
		var badge = row ? row.querySelector(".camp-state") : null;
		if (badge)
			badge.textContent = j.state;
		box.setAttribute("data-state", j.state);
	}

	/*
	 * Refreshes a moving campaign's bar every two seconds until it
	 * settles, then every five while delivery reports are still to come;
	 * on the campaign's own page a new state reloads it, so that its
	 * buttons follow.
	 */
	function poll(box, page) {
		var id = box.getAttribute("data-campaign");
		var was = box.getAttribute("data-state");
		var tick = function () {
			fetch("/admin/campaigns/" + id + "/status", { credentials: "same-origin" })
			    .then(function (r) { return r.ok ? r.json() : null; })
			    .then(function (j) {
				if (!j)
					return;
				show(box, j);
				if (j.state !== was && page) {
					var here = "/admin/campaigns/" + id;
					window.location.replace(here + (window.location.pathname === here ?
					    window.location.search : ""));
					return;
				}
				/* Settled but for delivery reports: look less often. */
				if (MOVING[j.state])
					setTimeout(tick, 2000);
				else if (j.counts.sent > 0 || j.counts.queued > 0)
					setTimeout(tick, 5000);
			    })
			    .catch(function () { setTimeout(tick, 5000); });
		};
		setTimeout(tick, 2000);
	}

	/*
	 * A form with a file is sent with XMLHttpRequest, so that its upload
	 * shows a progress bar; the answer's <main> replaces this one.
	 */
	function upload(form) {
		if (!window.FormData || !window.XMLHttpRequest)
			return;
		form.addEventListener("submit", function (e) {
			var xhr = new XMLHttpRequest();
			if (!xhr.upload)
				return;
			e.preventDefault();
			var box = form.querySelector(".upload-progress");
			var bar = box ? box.querySelector("progress") : null;
			var text = box ? box.querySelector(".upload-text") : null;
			var button = form.querySelector("button[type=submit]");
			if (box)
				box.hidden = false;
			if (button)
				button.disabled = true;
			xhr.upload.addEventListener("progress", function (ev) {
				if (!bar)
					return;
				if (ev.lengthComputable) {
					bar.value = Math.floor(100 * ev.loaded / ev.total);
					text.textContent = "Uploading: " + mib(ev.loaded) + " of " +
					    mib(ev.total) + " (" + bar.value + " %)";
				} else
					text.textContent = "Uploading: " + mib(ev.loaded);
			});
			var tok = token(), answered = false;
			xhr.upload.addEventListener("load", function () {
				if (bar) {
					bar.value = 0;
					text.textContent = "Uploaded; importing the recipients\u2026";
					if (tok)
						importing(tok, bar, text, function () { return answered; });
				}
			});
			xhr.addEventListener("load", function () {
				answered = true;
				var doc = xhr.response;
				var main = doc ? doc.querySelector("main") : null;
				if (!main) {
					/* Not the admin's answer (the web server refused it): say so. */
					if (text)
						text.textContent = "Not sent: the server answered " +
						    xhr.status + " " + xhr.statusText + ".";
					if (button)
						button.disabled = false;
					return;
				}
				document.title = doc.title;
				var fresh = document.adoptNode(main);
				document.querySelector("main").replaceWith(fresh);
				var name = fresh.querySelector("[data-url]");
				if (name && window.history)
					window.history.pushState(null, "", name.getAttribute("data-url"));
				init(fresh, true);
				window.scrollTo(0, 0);
			});
			xhr.addEventListener("error", function () {
				answered = true;
				if (text)
					text.textContent = "The upload failed; sending the form again without progress\u2026";
				form.submit();
			});
			xhr.open("POST", form.getAttribute("action"));
			xhr.responseType = "document";
			var data = new FormData(form);
			if (tok)
				data.append("upload_token", tok);
			xhr.send(data);
		});
	}

	/* Binds root's elements; swapped: root came from an upload's answer (admin.js never saw it). */
	function init(root, swapped) {
		var page = root.querySelector("#camp-actions, #camp-name") !== null;
		root.querySelectorAll(".cprog[data-poll]").forEach(function (box) {
			poll(box, page);
		});
		root.querySelectorAll("form[data-upload]").forEach(upload);
		if (swapped)
			root.querySelectorAll("form[data-confirm]").forEach(function (f) {
				f.addEventListener("submit", function (e) {
					if (!window.confirm(f.getAttribute("data-confirm")))
						e.preventDefault();
				});
			});
	}

	document.addEventListener("DOMContentLoaded", function () {
		init(document, false);
	});
})();
