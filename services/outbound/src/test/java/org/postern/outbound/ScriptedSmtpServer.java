package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.postern.tls.SelfSignedCertificate;

/**
 * A deliberately misbehaving SMTP server on loopback, for what a well-behaved sink cannot show: a
 * refusing greeting, or lines injected after the 220 to STARTTLS (CVE-2021-38371 style). Apart
 * from that it accepts everything, and records the commands it received.
 *
 * @see org.postern.testkit.SmtpSink for the well-behaved peer
 */
final class ScriptedSmtpServer {

  /**
   * @param greeting the first reply line, e.g. {@code 220 scripted.test} or {@code 554 go away}
   * @param afterStarttls sent in the same write right after {@code 220} to STARTTLS, before the
   *     handshake (empty for none)
   */
  record Script(String greeting, String afterStarttls, List<String> extensions) {
    Script(String greeting, String afterStarttls) {
      this(greeting, afterStarttls, List.of());
    }
  }

  private final List<String> commands = Collections.synchronizedList(new ArrayList<>());
  private final Script script;
  private final ServerSSLOptions tls;
  private NetServer server;

  private ScriptedSmtpServer(Script script) {
    this.script = script;
    SelfSignedCertificate.Generated cert = SelfSignedCertificate.generate("scripted.test", Duration.ofDays(1));
    this.tls = new ServerSSLOptions().setKeyCertOptions(new PemKeyCertOptions()
        .addCertValue(Buffer.buffer(cert.certificatePem()))
        .addKeyValue(Buffer.buffer(cert.keyPem())));
  }

  static Future<ScriptedSmtpServer> start(Vertx vertx, String host, int port, Script script) {
    ScriptedSmtpServer s = new ScriptedSmtpServer(script);
    s.server = vertx.createNetServer(new NetServerOptions().setHost(host).setPort(port)).connectHandler(s::session);
    return s.server.listen().map(ignored -> s);
  }

  int port() {
    return server.actualPort();
  }

  /** The command lines received so far, in order (DATA content excluded). */
  List<String> commands() {
    synchronized (commands) {
      return List.copyOf(commands);
    }
  }

  Future<Void> close() {
    return server.close();
  }

  private void session(NetSocket socket) {
    boolean[] tlsActive = {false};
    boolean[] inData = {false};
    RecordParser parser = RecordParser.newDelimited("\r\n");
    parser.handler(buffer -> {
      String line = buffer.toString(StandardCharsets.UTF_8);
      if (inData[0]) {
        if (line.equals(".")) {
          inData[0] = false;
          socket.write("250 2.0.0 accepted\r\n");
        }
        return;
      }
      commands.add(line);
      String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
      switch (verb) {
        case "EHLO" -> {
          StringBuilder ehlo = new StringBuilder("250-scripted.test\r\n");
          script.extensions().forEach(x -> ehlo.append("250-").append(x).append("\r\n"));
          ehlo.append(tlsActive[0] ? "250 8BITMIME\r\n" : "250-8BITMIME\r\n250 STARTTLS\r\n");
          socket.write(ehlo.toString());
        }
        case "STARTTLS" -> {
          socket.write("220 2.0.0 go ahead\r\n" + script.afterStarttls());
          tlsActive[0] = true;
          socket.upgradeToSsl(tls);
        }
        case "MAIL" -> socket.write("250 2.1.0 ok\r\n");
        case "RCPT" -> socket.write("250 2.1.5 ok\r\n");
        case "DATA" -> {
          inData[0] = true;
          socket.write("354 go ahead\r\n");
        }
        case "QUIT" -> socket.write("221 2.0.0 bye\r\n").onComplete(ignored -> socket.close());
        default -> socket.write("500 5.5.1 unknown\r\n");
      }
    });
    socket.handler(parser);
    socket.write(script.greeting() + "\r\n");
  }
}
