package org.postern.node;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.postern.testkit.FreePorts;

/**
 * A real browser for the admin page's tests: Debian's headless Chromium
 * ({@code chromium-headless-shell}), driven over the Chrome DevTools Protocol on loopback with the
 * JDK's own WebSocket client. Only the few commands the tests need: open a page, evaluate script
 * in it, capture a screenshot.
 */
final class HeadlessChromium implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/chromium-headless-shell");
  private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(30);

  private final Process process;
  private final Path profile;
  /** The page being driven; set once, right after start. */
  private WebSocket page;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

  private HeadlessChromium(Process process, Path profile) {
    this.process = process;
    this.profile = profile;
  }

  /** Starts the browser with an empty profile and opens one blank page to drive. */
  static HeadlessChromium start(Path work) throws Exception {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(BINARY + " is missing: apt-get install chromium-headless-shell (deploy/test does)");
    }
    int port = FreePorts.loopback();
    Path profile = Files.createTempDirectory(work, "chromium");
    // --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
    Process p = new ProcessBuilder(BINARY.toString(), "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--no-proxy-server", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=" + port,
        "--user-data-dir=" + profile, "--window-size=1180,760", "--hide-scrollbars", "about:blank")
        .redirectErrorStream(true).redirectOutput(work.resolve("chromium.log").toFile()).start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String browserWs = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (browserWs == null) {
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/version"))
              .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
          browserWs = new JsonObject(r.body()).getString("webSocketDebuggerUrl");
        } catch (IOException notYet) {
          if (!p.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("Chromium did not open its DevTools port: "
                + Files.readString(work.resolve("chromium.log")), notYet);
          }
          p.waitFor(100, TimeUnit.MILLISECONDS);
        }
      }
      // A page of our own, through the browser's endpoint, then a connection to that page.
      HeadlessChromium browser = new HeadlessChromium(p, profile);
      WebSocket b = browser.connect(http, browserWs);
      String target = browser.call(b, "Target.createTarget", new JsonObject().put("url", "about:blank"))
          .getString("targetId");
      b.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
      browser.page = browser.connect(http, "ws://127.0.0.1:" + port + "/devtools/page/" + target);
      return browser;
    } catch (Exception e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw e;
    }
  }

  private WebSocket connect(HttpClient http, String url) {
    return http.newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
      private final StringBuilder text = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          JsonObject msg = new JsonObject(text.toString());
          text.setLength(0);
          CompletableFuture<JsonObject> f = msg.containsKey("id") ? pending.remove(msg.getInteger("id")) : null;
          if (f != null) {
            f.complete(msg);
          }
        }
        ws.request(1);
        return null;
      }
    }).join();
  }

  private JsonObject call(WebSocket ws, String method, JsonObject params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> answer = new CompletableFuture<>();
    pending.put(id, answer);
    ws.sendText(new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true).join();
    JsonObject msg = answer.get(COMMAND_DEADLINE.toSeconds(), TimeUnit.SECONDS);
    if (msg.containsKey("error")) {
      throw new IllegalStateException(method + ": " + msg.getJsonObject("error").encode());
    }
    return msg.getJsonObject("result");
  }

  /** A DevTools command to the page; its result. */
  JsonObject call(String method, JsonObject params) throws Exception {
    return call(page, method, params);
  }

  /** Opens {@code url} and waits until its document and scripts have loaded. */
  void open(String url) throws Exception {
    call("Page.navigate", new JsonObject().put("url", url));
    await("document.readyState === 'complete' && location.href === " + quote(url), Duration.ofSeconds(20));
  }

  /** {@code s} as a JavaScript string literal. */
  static String quote(String s) {
    return new io.vertx.core.json.JsonArray().add(s).encode().replaceAll("^\\[|\\]$", "");
  }

  /** Evaluates {@code expression} in the page (awaiting a promise); its value, as JSON would carry it. */
  Object eval(String expression) throws Exception {
    JsonObject r = call("Runtime.evaluate", new JsonObject().put("expression", expression)
        .put("awaitPromise", true).put("returnByValue", true));
    if (r.containsKey("exceptionDetails")) {
      throw new IllegalStateException("script failed: " + expression + ": " + r.getJsonObject("exceptionDetails").encode());
    }
    return r.getJsonObject("result").getValue("value");
  }

  String text(String expression) throws Exception {
    Object v = eval(expression);
    return v == null ? null : v.toString();
  }

  /** Polls {@code condition} until it is true; fails with the page's text when it does not become true. */
  void await(String condition, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Boolean.TRUE.equals(eval("Boolean(" + condition + ")"))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the page did not reach: " + condition + "; it shows:\n"
            + eval("document.body ? document.body.innerText : document.documentElement.outerHTML"));
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
  }

  /** Captures the page as it is drawn now, as a PNG, into {@code file}. */
  void screenshot(Path file) throws Exception {
    String data = call("Page.captureScreenshot", new JsonObject().put("format", "png")).getString("data");
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(data));
  }

  @Override
  public void close() throws Exception {
    if (page != null) {
      page.abort();
    }
    // Debian's /usr/bin/chromium-headless-shell is a script that runs the browser as its child:
    // the browser and its helpers are stopped by their own process ids, the script last.
    List<ProcessHandle> browser = process.descendants().toList();
    browser.forEach(ProcessHandle::destroy);
    for (ProcessHandle h : browser) {
      h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    try (var files = Files.walk(profile)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException ignored) {
      // the profile sits in the test's temporary directory, which JUnit removes anyway
    }
  }
}
