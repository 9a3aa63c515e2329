// The examiner's live entry view: +/- counters and the task timer. The form works without
// it (the fields are plain inputs); the server checks every value.
(function () {
  "use strict";
  document.querySelectorAll(".counter-step").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.target);
      var value = parseInt(input.value, 10);
      if (isNaN(value)) { value = 0; }
      input.value = Math.max(0, value + parseInt(button.dataset.step, 10));
    });
  });
  var field = document.getElementById("time_seconds");
  var start = document.getElementById("timer-start");
  var stop = document.getElementById("timer-stop");
  var reset = document.getElementById("timer-reset");
  if (!field || !start) { return; }
  var startedAt = null, base = 0, tick = null;
  function show() {
    var seconds = base + (startedAt ? (Date.now() - startedAt) / 1000 : 0);
    field.value = seconds.toFixed(1);
  }
  start.addEventListener("click", function () {
    base = parseFloat(field.value) || 0;
    startedAt = Date.now();
    tick = setInterval(show, 100);
    start.disabled = true; stop.disabled = false;
  });
  stop.addEventListener("click", function () {
    show(); clearInterval(tick); base = parseFloat(field.value) || 0; startedAt = null;
    start.disabled = false; stop.disabled = true;
  });
  reset.addEventListener("click", function () {
    clearInterval(tick); startedAt = null; base = 0; field.value = "0";
    start.disabled = false; stop.disabled = true;
  });
})();
