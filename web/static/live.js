// Live replies on a thread page (web/handlers/live.py). Without this script the page is complete; with it, a
// notice offers the replies written since the page was shown and appends them without reloading.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var thread = box.dataset.thread, last = +box.dataset.after || 0, newest = last, count = 0;
  var link = box.querySelector("a");
  var url = function () { return "/t/" + thread + "?after=" + last + "&upto=" + newest; };
  var events = new EventSource("/t/" + thread + "/events?after=" + last);
  events.addEventListener("post", function (event) {
    var id = +event.data;
    if (!(id > newest)) return;
    newest = id;
    count += 1;
    link.textContent = count === 1 ? box.dataset.one : box.dataset.many.replace("NUM", count);
    link.href = url();
    box.hidden = false;
  });
  link.addEventListener("click", function (event) {
    event.preventDefault();
    fetch(url(), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      page.querySelectorAll("article.post").forEach(function (post) {
        if (document.getElementById(post.id)) return;
        box.parentNode.insertBefore(document.importNode(post, true), box);
        last = Math.max(last, +post.id.slice(1));
      });
      count = 0;
      box.hidden = true;
    }).catch(function () { window.location.href = link.href; });
  });
})();
