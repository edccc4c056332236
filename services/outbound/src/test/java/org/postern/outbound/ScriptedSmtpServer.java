package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.postern.tls.SelfSignedCertificate;

/**
 * An SMTP server on loopback whose behaviour a test scripts, for what a well-behaved sink cannot
 * show: a refusing greeting, replies injected after the 220 to STARTTLS (CVE-2021-38371 style),
 * no EHLO, a broken TLS handshake, chosen extensions (PIPELINING, SIZE, CHUNKING, AUTH), and
 * chosen replies per command. Apart from that it accepts everything, and records what it got: the
 * command lines, in which TCP read each arrived, the message contents, the connections.
 *
 * @see org.postern.testkit.SmtpSink for the well-behaved peer
 */
final class ScriptedSmtpServer {

  /**
   * A scripted reply that is no reply: the command is read and never answered (so far only for
   * STARTTLS; any other scripted STARTTLS reply is sent and TLS is not started).
   */
  static final String SILENCE = "(silence)";

  /**
   * @param greeting the first reply line, e.g. {@code 220 scripted.test} or {@code 554 go away}
   * @param afterStarttls sent in the same write right after {@code 220} to STARTTLS, before the
   *     handshake (empty for none)
   * @param extensions EHLO lines offered before 8BITMIME and STARTTLS, e.g. {@code SIZE 1000}
   * @param starttls offer STARTTLS
   * @param ehlo answer EHLO (else 502, so the client must fall back to HELO)
   * @param eightBitMime offer 8BITMIME
   * @param brokenTls answer STARTTLS with 220, then send bytes that are no TLS and close
   * @param replies replies to use, per command verb, before the defaults (shared by all sessions)
   * @param certificate the STARTTLS certificate, or null for a self-signed one for scripted.test
   * @param clientCa when set, ask the client for a certificate and trust this CA file for it
   */
  record Script(String greeting, String afterStarttls, List<String> extensions, boolean starttls, boolean ehlo,
      boolean eightBitMime, boolean brokenTls, Map<String, List<String>> replies, KeyCertOptions certificate,
      String clientCa) {

    Script(String greeting, String afterStarttls, List<String> extensions) {
      this(greeting, afterStarttls, extensions, true, true, true, false, Map.of(), null, null);
    }

    Script(String greeting, String afterStarttls) {
      this(greeting, afterStarttls, List.of());
    }

    static Script standard() {
      return new Script("220 scripted.test ESMTP", "");
    }

    Script withExtensions(String... lines) {
      return new Script(greeting, afterStarttls, List.of(lines), starttls, ehlo, eightBitMime, brokenTls, replies,
          certificate, clientCa);
    }

    Script withoutStarttls() {
      return new Script(greeting, afterStarttls, extensions, false, ehlo, eightBitMime, brokenTls, replies,
          certificate, clientCa);
    }

    Script withoutEhlo() {
      return new Script(greeting, afterStarttls, extensions, starttls, false, eightBitMime, brokenTls, replies,
          certificate, clientCa);
    }

    Script without8BitMime() {
      return new Script(greeting, afterStarttls, extensions, starttls, ehlo, false, brokenTls, replies,
          certificate, clientCa);
    }

    Script withBrokenTls() {
      return new Script(greeting, afterStarttls, extensions, starttls, ehlo, eightBitMime, true, replies,
          certificate, clientCa);
    }

    /** {@code verb} is answered with {@code lines} in turn (one per command), then as usual. */
    Script replying(String verb, String... lines) {
      Map<String, List<String>> r = new HashMap<>(replies);
      r.put(verb, List.of(lines));
      return new Script(greeting, afterStarttls, extensions, starttls, ehlo, eightBitMime, brokenTls, r,
          certificate, clientCa);
    }

    Script withCertificate(String chainPath, String keyPath) {
      return new Script(greeting, afterStarttls, extensions, starttls, ehlo, eightBitMime, brokenTls, replies,
          new PemKeyCertOptions().setCertPath(chainPath).setKeyPath(keyPath), clientCa);
    }

    Script requestingClientCertificates(String caFile) {
      return new Script(greeting, afterStarttls, extensions, starttls, ehlo, eightBitMime, brokenTls, replies,
          certificate, caFile);
    }
  }

  /** A command line and the number of the TCP read it arrived in (same number: same segment). */
  record Command(String line, int read, boolean tls) {}

  private final List<Command> commands = Collections.synchronizedList(new ArrayList<>());
  private final List<byte[]> messages = Collections.synchronizedList(new ArrayList<>());
  private final List<String> clientCertificates = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, ArrayDeque<String>> scripted = new HashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger maxOpen = new AtomicInteger();
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger transactions = new AtomicInteger();
  private final AtomicInteger maxTransactions = new AtomicInteger();
  private final List<Long> connectTimes = Collections.synchronizedList(new ArrayList<>());
  private final Script script;
  private final ServerSSLOptions tls;
  private NetServer server;

  private ScriptedSmtpServer(Script script) {
    this.script = script;
    script.replies().forEach((verb, lines) -> scripted.put(verb, new ArrayDeque<>(lines)));
    KeyCertOptions cert = script.certificate();
    if (cert == null) {
      SelfSignedCertificate.Generated g = SelfSignedCertificate.generate("scripted.test", Duration.ofDays(1));
      cert = new PemKeyCertOptions().addCertValue(Buffer.buffer(g.certificatePem()))
          .addKeyValue(Buffer.buffer(g.keyPem()));
    }
    ServerSSLOptions options = new ServerSSLOptions().setKeyCertOptions(cert);
    if (script.clientCa() != null) {
      options.setClientAuth(ClientAuth.REQUEST).setTrustOptions(new PemTrustOptions().addCertPath(script.clientCa()));
    }
    this.tls = options;
  }

  static Future<ScriptedSmtpServer> start(Vertx vertx, String host, int port, Script script) {
    ScriptedSmtpServer s = new ScriptedSmtpServer(script);
    s.server = vertx.createNetServer(new NetServerOptions().setHost(host).setPort(port)).connectHandler(s::session);
    return s.server.listen().map(ignored -> s);
  }

  int port() {
    return server.actualPort();
  }

  /** The command lines received so far, in order (message content excluded). */
  List<String> commands() {
    synchronized (commands) {
      return commands.stream().map(Command::line).toList();
    }
  }

  List<Command> commandDetails() {
    synchronized (commands) {
      return List.copyOf(commands);
    }
  }

  /** Message contents as received: after DATA dot-unstuffed with CRLFs, after BDAT the chunk bytes. */
  List<byte[]> messages() {
    synchronized (messages) {
      return List.copyOf(messages);
    }
  }

  /** Subject DNs of client certificates presented after STARTTLS. */
  List<String> clientCertificates() {
    synchronized (clientCertificates) {
      return List.copyOf(clientCertificates);
    }
  }

  /** Connections accepted so far. */
  int connections() {
    return connections.get();
  }

  /** The most mail transactions (MAIL to the reply at the end of the content) under way at once. */
  int maxTransactions() {
    return maxTransactions.get();
  }

  /** The most connections that were open at once; one counts as closed from its QUIT on. */
  int maxOpen() {
    return maxOpen.get();
  }

  /** When each connection was accepted (System.nanoTime). */
  List<Long> connectTimes() {
    synchronized (connectTimes) {
      return List.copyOf(connectTimes);
    }
  }

  Future<Void> close() {
    return server.close();
  }

  /** The next scripted reply for {@code verb}, or null when none is left. */
  private String scriptedOnly(String verb) {
    synchronized (scripted) {
      ArrayDeque<String> q = scripted.get(verb);
      return q == null ? null : q.poll();
    }
  }

  private String reply(String verb, String usual) {
    synchronized (scripted) {
      ArrayDeque<String> q = scripted.get(verb);
      String r = q == null ? null : q.poll();
      return (r == null ? usual : r) + "\r\n";
    }
  }

  private void session(NetSocket socket) {
    connections.incrementAndGet();
    connectTimes.add(System.nanoTime());
    maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
    boolean[] counted = {true};
    Runnable closed = () -> {
      if (counted[0]) {
        counted[0] = false;
        open.decrementAndGet();
      }
    };
    socket.closeHandler(v -> closed.run());
    boolean[] tlsActive = {false};
    boolean[] inData = {false};
    int[] authLogin = {0};
    int[] read = {0};
    Buffer[] data = {Buffer.buffer()};
    RecordParser parser = RecordParser.newDelimited("\r\n");
    boolean[] inChunk = {false};
    parser.handler(buffer -> {
      if (inChunk[0]) {
        inChunk[0] = false;
        messages.add(buffer.getBytes());
        transactions.decrementAndGet();
        parser.delimitedMode("\r\n");
        socket.write(reply("BDAT", "250 2.0.0 accepted"));
        return;
      }
      String line = buffer.toString(StandardCharsets.UTF_8);
      if (inData[0]) {
        if (line.equals(".")) {
          inData[0] = false;
          messages.add(data[0].getBytes());
          data[0] = Buffer.buffer();
          transactions.decrementAndGet();
          socket.write(reply("END", "250 2.0.0 accepted"));
        } else {
          data[0].appendString(line.startsWith(".") ? line.substring(1) : line).appendString("\r\n");
        }
        return;
      }
      commands.add(new Command(line, read[0], tlsActive[0]));
      if (authLogin[0] > 0) {
        socket.write(authLogin[0]++ == 1 ? "334 UGFzc3dvcmQ6\r\n" : "235 2.7.0 authenticated\r\n");
        if (authLogin[0] > 2) {
          authLogin[0] = 0;
        }
        return;
      }
      String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
      switch (verb) {
        case "EHLO" -> {
          if (!script.ehlo()) {
            socket.write("502 5.5.1 EHLO not implemented\r\n");
            return;
          }
          StringBuilder ehlo = new StringBuilder("250-scripted.test\r\n");
          List<String> lines = new ArrayList<>(script.extensions());
          if (script.eightBitMime()) {
            lines.add("8BITMIME");
          }
          if (script.starttls() && !tlsActive[0]) {
            lines.add("STARTTLS");
          }
          lines.add("HELP");
          for (int i = 0; i < lines.size(); i++) {
            ehlo.append(i == lines.size() - 1 ? "250 " : "250-").append(lines.get(i)).append("\r\n");
          }
          socket.write(ehlo.toString());
        }
        case "HELO" -> socket.write("250 scripted.test\r\n");
        case "STARTTLS" -> {
          String scriptedReply = scriptedOnly("STARTTLS");
          if (SILENCE.equals(scriptedReply)) {
            return; // a peer that takes the command and never answers it
          }
          if (scriptedReply != null) {
            socket.write(scriptedReply + "\r\n");
            return;
          }
          if (script.brokenTls()) {
            // Whatever the client's handshake expects, this is not a TLS record.
            socket.write("220 2.0.0 go ahead\r\nthis is not TLS\r\n").onComplete(ignored -> socket.close());
            return;
          }
          socket.write("220 2.0.0 go ahead\r\n" + script.afterStarttls());
          tlsActive[0] = true;
          socket.upgradeToSsl(tls).onSuccess(v -> {
            try {
              clientCertificates.add(((X509Certificate) socket.sslSession().getPeerCertificates()[0])
                  .getSubjectX500Principal().getName());
            } catch (SSLPeerUnverifiedException e) {
              // No client certificate: nothing to record.
            }
          });
        }
        case "AUTH" -> {
          if (line.toUpperCase(Locale.ROOT).startsWith("AUTH LOGIN")) {
            authLogin[0] = 1;
            socket.write("334 VXNlcm5hbWU6\r\n");
          } else {
            socket.write(reply("AUTH", "235 2.7.0 authenticated"));
          }
        }
        case "MAIL" -> {
          String r = reply("MAIL", "250 2.1.0 ok");
          if (r.startsWith("250")) {
            maxTransactions.accumulateAndGet(transactions.incrementAndGet(), Math::max);
          }
          socket.write(r);
        }
        case "RCPT" -> socket.write(reply("RCPT", "250 2.1.5 ok"));
        case "RSET" -> socket.write(reply("RSET", "250 2.0.0 ok"));
        case "DATA" -> {
          String r = reply("DATA", "354 go ahead");
          inData[0] = r.startsWith("354");
          socket.write(r);
        }
        case "BDAT" -> {
          int size = Integer.parseInt(line.split(" ")[1]);
          inChunk[0] = true;
          parser.fixedSizeMode(size);
        }
        case "QUIT" -> {
          closed.run();
          socket.write("221 2.0.0 bye\r\n").onComplete(ignored -> socket.close());
        }
        default -> socket.write("500 5.5.1 unknown\r\n");
      }
    });
    socket.handler(buffer -> {
      read[0] = reads.incrementAndGet();
      parser.handle(buffer);
    });
    socket.write(script.greeting() + "\r\n");
  }
}
