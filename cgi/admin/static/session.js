/* ibchannel admin, a session's page: new messages appear as they come; the page works without this file. */
"use strict";

(function () {
	/* The id of the last message the list shows, 0 when none. */
	function lastId(list) {
		var items = list.querySelectorAll("li[data-id]");
		return items.length ? Number(items[items.length - 1].getAttribute("data-id")) : 0;
	}

	/* Shows who is responsible and whether the session is open, as the head does. */
	function head(j) {
		var who = document.getElementById("responsible");
		if (who)
			who.textContent = j.responsible === "ai" ? "AI" : j.responsible;
		var state = document.getElementById("state");
		if (state && !j.open) {
			state.textContent = "Closed";
			state.className = "badge grey";
		}
	}

	/*
	 * Asks for the messages after the last one shown every two seconds
	 * (at once again when a full batch came) and appends them; the server
	 * drew and escaped them. Stops when the session closes.
	 */
	function follow(list) {
		var url = list.getAttribute("data-live");
		var tick = function () {
			fetch(url + "?after=" + lastId(list), { credentials: "same-origin" })
			    .then(function (r) { return r.ok ? r.json() : null; })
			    .then(function (j) {
				if (!j) {
					setTimeout(tick, 5000);
					return;
				}
				if (j.html) {
					var empty = document.querySelector("p.empty");
					if (empty)
						empty.remove();
					list.insertAdjacentHTML("beforeend", j.html);
					list.lastElementChild.scrollIntoView({ block: "nearest" });
				}
				head(j);
				if (j.open)
					setTimeout(tick, j.last > 0 && j.html ? 200 : 2000);
			    })
			    .catch(function () { setTimeout(tick, 5000); });
		};
		setTimeout(tick, 2000);
	}

	document.addEventListener("DOMContentLoaded", function () {
		var list = document.querySelector("ol.convo[data-live]");
		if (list)
			follow(list);
	});
})();
