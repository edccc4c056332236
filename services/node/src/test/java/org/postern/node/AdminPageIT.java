package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * The admin page in a real browser (Debian's headless Chromium over the DevTools protocol) against
 * a real node holding real mail: three messages deferred by a next hop that takes STARTTLS and then
 * answers 451 to DATA. Without the token the page and the API give nothing; with it the page lists
 * the queue, narrows it by search, holds, releases and deletes messages in the node's real queue,
 * shows a message's attempt with its TLS, explains the policy for a described session, shows the
 * served certificate and the TLS levels, and the cluster view. Each view is captured as a PNG, into
 * {@code POSTERN_SCREENSHOTS} when set (deploy/docs holds the ones the operator's guide shows).
 */
class AdminPageIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path work;

  private final HttpClient http = HttpClient.newHttpClient();
  private int adminPort;
  private String token;

  private HttpResponse<String> api(String method, String path, String body, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The node's queue as the API lists it: queue id to state. */
  private JsonObject queue() throws Exception {
    HttpResponse<String> r = api("POST", "/queue", "{\"action\":\"list\",\"target\":\"ALL\"}", token);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject states = new JsonObject();
    for (Object o : new JsonObject(r.body()).getJsonArray("messages")) {
      JsonObject m = (JsonObject) o;
      states.put(m.getString("queueId"), m.getString("state"));
    }
    return states;
  }

  private Path screenshots() {
    String dir = System.getenv("POSTERN_SCREENSHOTS");
    return dir != null ? Path.of(dir) : Path.of("target/admin-page");
  }

  @Test
  void thePageShowsNothingWithoutTheTokenAndRunsTheQueueWithIt() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(true).withTempfailData(true))) {
      int port = FreePorts.loopback();
      adminPort = FreePorts.loopback();
      Path policy = work.resolve("tls_policy");
      Files.writeString(policy, "example.net encrypt\n[legacy.example.com] none\n");
      Path conf = work.resolve("postern.conf");
      Files.writeString(conf, "inbound.listeners = 127.0.0.1:" + port + " may\n"
          + "node.hostname = mx.postern.test\n"
          + "node.data_dir = " + work.resolve("data") + "\n"
          + "node.admin_listen = 127.0.0.1:" + adminPort + "\n"
          + "queue.spool_dir = " + work.resolve("data/spool") + "\n"
          + "policy.tls_policy_map = " + policy + "\n"
          // The sink takes STARTTLS, then answers 451 to DATA: every message stays, deferred, after an attempt over TLS.
          + "outbound.transport = *=[127.0.0.1]:" + sink.port() + "\n");
      try (NodeProcess node = NodeProcess.run(work, List.of("--config", conf.toString()), List.of());
          HeadlessChromium browser = HeadlessChromium.start(work)) {
        node.awaitLog("node started", Duration.ofSeconds(60));
        token = Files.readString(work.resolve("data").resolve(AdminBridge.TOKEN_FILE)).strip();
        String[][] mail = {{"alice@example.org", "bob@example.net"}, {"carol@example.org", "dave@example.com"},
            {"erin@example.org", "frank@example.net"}};
        for (String[] m : mail) {
          // Markup in a header: the page must show it as text, never build it.
          byte[] msg = ("From: " + m[0] + "\r\nTo: " + m[1] + "\r\nSubject: <img id=\"xss\" src=\"x\"> admin page\r\n\r\nhello\r\n")
              .getBytes(StandardCharsets.US_ASCII);
          Clients.Result sent = Clients.smtplib(work, port, m[0], m[1], msg, false);
          assertEquals(0, sent.exitCode(), sent.output());
        }
        for (String[] m : mail) {
          node.awaitLog("to=<" + m[1] + ">,.*status=deferred", WAIT);
        }
        // The queue ids, from the API once the queue has recorded each attempt, in sending order.
        List<String> ids = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (ids.size() < 3) {
          assertTrue(System.nanoTime() < deadline, "three deferred messages: " + node.log());
          ids.clear();
          HttpResponse<String> r = api("POST", "/queue", "{\"action\":\"list\",\"target\":\"ALL\"}", token);
          JsonArray listed = new JsonObject(r.body()).getJsonArray("messages");
          for (String[] m : mail) {
            listed.stream().map(JsonObject.class::cast)
                .filter(j -> j.getString("sender").equals(m[0]) && j.getString("state").equals("deferred"))
                .forEach(j -> ids.add(j.getString("queueId")));
          }
          java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // poll interval
        }
        JsonObject before = queue();
        assertEquals(3, before.size(), before.encode());
        String bob = ids.get(0);
        String dave = ids.get(1);
        String frank = ids.get(2);

        // Without the token: the API answers 401 to every data endpoint, the shell is public and data-free.
        for (String[] call : new String[][] {{"POST", "/queue", "{\"action\":\"list\",\"target\":\"ALL\"}"},
            {"GET", "/status", null}, {"GET", "/tls", null}, {"POST", "/policy/explain", "{\"client\":\"192.0.2.1\"}"}}) {
          assertEquals(401, api(call[0], call[1], call[2], null).statusCode(), call[1] + " without a token");
          assertEquals(401, api(call[0], call[1], call[2], "0".repeat(64)).statusCode(), call[1] + " with a wrong token");
        }
        HttpResponse<String> shell = api("GET", "/ui/", null, null);
        assertEquals(200, shell.statusCode());
        String csp = shell.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp);
        ids.forEach(id -> assertFalse(shell.body().contains(id)));

        String url = "http://127.0.0.1:" + adminPort + "/ui/";
        browser.open(url);
        browser.await("document.body.dataset.rendered && document.body.dataset.rendered.startsWith('login')", WAIT);
        assertPageHasNoQueueData(browser, ids);
        browser.screenshot(screenshots().resolve("admin-login.png"));
        // A wrong token is refused, and still nothing shows.
        login(browser, "f".repeat(64));
        browser.await("document.getElementById('login-error').textContent.includes('refused')", WAIT);
        assertPageHasNoQueueData(browser, ids);

        // With the token: the queue, every message.
        login(browser, token);
        browser.await("document.querySelectorAll('#queue-rows tr[data-id]').length === 3", WAIT);
        for (String id : ids) {
          assertTrue(browser.text("document.getElementById('queue-table').innerText").contains(id));
        }
        assertTrue(browser.text("document.getElementById('queue-counts').textContent").contains("total 3"));
        browser.screenshot(screenshots().resolve("admin-queue.png"));

        // Search narrows the list: by domain, by sender, by id, by state.
        search(browser, "domain", "example.com", "");
        assertEquals(List.of(dave), rows(browser));
        search(browser, "sender", "erin", "");
        assertEquals(List.of(frank), rows(browser));
        search(browser, "id", bob, "");
        assertEquals(List.of(bob), rows(browser));
        search(browser, "any", "", "held");
        assertEquals(List.of(), rows(browser));
        search(browser, "any", "", "");
        assertEquals(3, rows(browser).size());

        // Hold and release change the node's real queue.
        click(browser, bob, "Hold");
        browser.await("document.getElementById('queue-status').textContent.startsWith('hold " + bob + ": 1 changed')", WAIT);
        assertEquals("held", queue().getString(bob));
        browser.await("document.querySelector('#queue-rows tr[data-id=\"" + bob + "\"] td:nth-child(2)').textContent === 'held'", WAIT);
        search(browser, "any", "", "held");
        assertEquals(List.of(bob), rows(browser));
        search(browser, "any", "", "");
        click(browser, bob, "Release");
        browser.await("document.getElementById('queue-status').textContent.startsWith('release " + bob + ": 1 changed')", WAIT);
        assertFalse("held".equals(queue().getString(bob)), queue().encode());

        // Delete asks first; only the confirmation removes the message.
        click(browser, frank, "Delete");
        browser.await("document.querySelector('#queue-rows tr[data-id=\"" + frank + "\"] .confirm-delete') !== null", WAIT);
        assertTrue(queue().containsKey(frank), "not deleted before the confirmation");
        click(browser, frank, "Confirm delete");
        browser.await("document.getElementById('queue-status').textContent.startsWith('delete " + frank + ": 1 changed')", WAIT);
        JsonObject after = queue();
        assertFalse(after.containsKey(frank), after.encode());
        assertEquals(2, after.size(), after.encode());
        browser.await("document.querySelectorAll('#queue-rows tr[data-id]').length === 2", WAIT);
        QueueCli.Run list = QueueCli.queue(work, adminPort, work.resolve("data"), "list");
        assertEquals(0, list.exit(), list.stderr());
        assertFalse(list.stdout().contains(frank), list.stdout());
        assertTrue(list.stdout().contains(dave), list.stdout());

        // One message: its attempt over TLS to the sink, and the sink's 451.
        browser.eval("location.hash = '#message/" + dave + "'");
        browser.await("document.body.dataset.rendered.startsWith('message') && document.getElementById('message-id').textContent === '" + dave + "'", WAIT);
        String message = browser.text("document.getElementById('message').innerText");
        assertTrue(message.matches("(?s).*\\[127\\.0\\.0\\.1\\]:" + sink.port() + ".*TLSv1\\.[23] .*(bits).*"), message);
        assertTrue(message.contains("CN=" + SmtpSink.HOSTNAME), message);
        assertTrue(message.contains("deferred 451 4.3.0 try later"), message);
        assertTrue(message.contains("Subject: <img id=\"xss\" src=\"x\"> admin page"), message);
        assertEquals(Boolean.TRUE, browser.eval("document.getElementById('xss') === null && document.images.length === 0"));
        assertTrue(message.matches("(?s).*Sender\\s+carol@example\\.org\\s+Attempts\\s+1.*"), message);
        browser.screenshot(screenshots().resolve("admin-message.png"));

        // TLS posture: the served certificate, the listener, the outbound levels.
        browser.eval("location.hash = '#tls'");
        browser.await("document.body.dataset.rendered.startsWith('tls')", WAIT);
        String tls = browser.text("document.getElementById('tls').innerText");
        assertTrue(tls.contains("CN=mx.postern.test"), tls);
        assertTrue(tls.matches("(?s).*127\\.0\\.0\\.1:" + port + "\\s+tls=may\\s+ccert=.*"), tls);
        assertEquals("may", browser.text("document.getElementById('default-level').textContent"));
        assertTrue(tls.matches("(?s).*example\\.net encrypt\\s+encrypt.*tls_policy:1.*"), tls);
        assertTrue(tls.contains("[legacy.example.com] none"), tls);
        browser.screenshot(screenshots().resolve("admin-tls.png"));

        // Policy explain for a described session: a stranger may not relay; the map's level applies.
        browser.eval("location.hash = '#policy'");
        browser.await("document.body.dataset.rendered.startsWith('policy')", WAIT);
        browser.eval("(() => { const f = document.getElementById('policy-form');"
            + " f.elements.client.value = '192.0.2.7'; f.elements.rcpt.value = 'user@example.net';"
            + " f.elements.server.value = 'mx.example.net'; document.getElementById('explain').click(); })()");
        browser.await("!document.getElementById('policy-steps').hidden", WAIT);
        String steps = browser.text("document.getElementById('policy-steps').innerText");
        assertTrue(steps.matches("(?s).*relay\\s+<user@example\\.net>\\s+REJECT 554 5\\.7\\.1.*"), steps);
        assertTrue(steps.matches("(?s).*destination\\s+example\\.net\\s+level encrypt\\s+\\S*tls_policy:1 example\\.net encrypt.*"), steps);
        browser.screenshot(screenshots().resolve("admin-policy.png"));
        // The endpoint itself, as a script would call it.
        HttpResponse<String> explained = api("POST", "/policy/explain",
            "{\"client\":\"127.0.0.1\",\"rcpt\":\"user@example.net\"}", token);
        assertEquals(200, explained.statusCode(), explained.body());
        JsonArray relay = new JsonObject(explained.body()).getJsonArray("steps");
        assertTrue(relay.stream().map(JsonObject.class::cast).anyMatch(s -> s.getString("point").equals("relay")
            && s.getString("answer").startsWith("ACCEPT")), relay.encodePrettily());
        HttpResponse<String> bad = api("POST", "/policy/explain", "{\"client\":\"nowhere\",\"rcpt\":\"a@b.example\"}", token);
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("must be an IP address"), bad.body());

        // The cluster view: a standalone node.
        browser.eval("location.hash = '#cluster'");
        browser.await("document.body.dataset.rendered.startsWith('cluster')", WAIT);
        String cluster = browser.text("document.getElementById('cluster').innerText");
        assertTrue(cluster.contains("mx.postern.test") && cluster.contains("Standalone"), cluster);
        browser.screenshot(screenshots().resolve("admin-cluster.png"));

        // Forgetting the token leaves no data on the page.
        browser.eval("document.getElementById('logout').click()");
        browser.await("!document.getElementById('view-login').hidden", WAIT);
        assertPageHasNoQueueData(browser, ids);
      }
    }
  }

  private static void login(HeadlessChromium browser, String token) throws Exception {
    browser.eval("(() => { document.getElementById('token').value = " + HeadlessChromium.quote(token)
        + "; document.getElementById('login').click(); })()");
  }

  /** Neither the visible text nor the document holds a queue id, and the data views are hidden. */
  private static void assertPageHasNoQueueData(HeadlessChromium browser, List<String> ids) throws Exception {
    String html = browser.text("document.documentElement.outerHTML");
    for (String id : ids) {
      assertFalse(html.contains(id), "queue id " + id + " on the page without the token");
    }
    for (String address : List.of("alice@example.org", "bob@example.net", "dave@example.com")) {
      assertFalse(html.contains(address), address + " on the page without the token");
    }
    assertEquals(Boolean.TRUE, browser.eval("document.getElementById('view-queue').hidden"));
  }

  private static void search(HeadlessChromium browser, String field, String text, String state) throws Exception {
    browser.eval("(() => { document.getElementById('search-field').value = '" + field + "';"
        + " document.getElementById('search-state').value = '" + state + "';"
        + " const s = document.getElementById('search'); s.value = " + HeadlessChromium.quote(text) + ";"
        + " s.dispatchEvent(new Event('input')); })()");
  }

  @SuppressWarnings("unchecked")
  private static List<String> rows(HeadlessChromium browser) throws Exception {
    JsonArray a = (JsonArray) browser.eval("[...document.querySelectorAll('#queue-rows tr[data-id]')].map(r => r.dataset.id)");
    return a.getList();
  }

  /** Clicks the button labelled {@code label} in the row of message {@code id}. */
  private static void click(HeadlessChromium browser, String id, String label) throws Exception {
    Object clicked = browser.eval("(() => { const b = [...document.querySelectorAll('#queue-rows tr[data-id=\"" + id
        + "\"] button')].find(b => b.textContent === " + HeadlessChromium.quote(label) + ");"
        + " if (!b) return false; b.click(); return true; })()");
    assertEquals(Boolean.TRUE, clicked, "no " + label + " button for " + id);
  }
}
