package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A deliberately dumb SMTP client on a blocking {@link Socket}: it writes exactly the bytes it is
 * given, in one write, and reads replies byte by byte (no read-ahead, so nothing the server sends
 * after a 220 for STARTTLS can hide in a buffer). Every read has a timeout (10 s unless changed),
 * so a missing reply fails the test instead of hanging it.
 */
final class SmtpClient implements AutoCloseable {

  /** One reply as read from the wire. */
  record Reply(int code, List<String> lines) {
    /** The whole reply, lines joined with CRLF, as on the wire. */
    String text() {
      return String.join("\r\n", lines);
    }

    boolean has(String fragment) {
      return text().contains(fragment);
    }

    @Override
    public String toString() {
      return text();
    }
  }

  private final Socket plain;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  SmtpClient(int port) throws IOException {
    this(port, null);
  }

  /** A client connecting from {@code localAddress} (any of 127.0.0.0/8 on Linux), or the default when null. */
  SmtpClient(int port, String localAddress) throws IOException {
    this.port = port;
    plain = new Socket();
    plain.setTcpNoDelay(true);
    plain.setSoTimeout(10_000);
    if (localAddress != null) {
      plain.bind(new InetSocketAddress(localAddress, 0));
    }
    plain.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    use(plain);
  }

  private void use(Socket s) throws IOException {
    socket = s;
    in = s.getInputStream();
    out = s.getOutputStream();
  }

  /** The read timeout for the following reads. */
  SmtpClient timeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
    return this;
  }

  /** Writes the string's UTF-8 bytes in one write. */
  SmtpClient send(String s) throws IOException {
    return send(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes the bytes in one write. */
  SmtpClient send(byte[] b) throws IOException {
    out.write(b);
    out.flush();
    return this;
  }

  /** Reads one complete reply (all its {@code code-} lines and the final {@code code } line). */
  Reply readReply() throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = readLine();
      if (line == null) {
        fail("connection closed while reading a reply; read so far: " + lines);
      }
      if (line.length() < 3 || !line.substring(0, 3).chars().allMatch(Character::isDigit)
          || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
        fail("not an SMTP reply line: '" + line + "' after " + lines);
      }
      lines.add(line);
      int code = Integer.parseInt(line.substring(0, 3));
      if (line.length() == 3 || line.charAt(3) == ' ') {
        for (String l : lines) {
          assertEquals(code, Integer.parseInt(l.substring(0, 3)), "codes within one reply: " + lines);
        }
        return new Reply(code, lines);
      }
    }
  }

  /** Reads a reply and checks its code. */
  Reply expect(int code) throws IOException {
    Reply r = readReply();
    assertEquals(code, r.code(), "unexpected reply: " + r);
    return r;
  }

  /** Reads a reply and checks it starts with {@code prefix} (e.g. {@code "250 2.1.0"}). */
  Reply expect(String prefix) throws IOException {
    Reply r = readReply();
    assertTrue(r.lines().get(r.lines().size() - 1).startsWith(prefix), "expected '" + prefix + "...' but got: " + r);
    return r;
  }

  /** Sends a line and reads its reply. */
  Reply command(String line) throws IOException {
    send(line + "\r\n");
    return readReply();
  }

  /**
   * Reads everything until the server closes the connection, failing if it does not within the
   * read timeout.
   */
  String readUntilClosed() throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] b = new byte[4096];
    try {
      while (true) {
        int n = in.read(b);
        if (n < 0) {
          return buf.toString(StandardCharsets.UTF_8);
        }
        buf.write(b, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection; it sent: "
          + buf.toString(StandardCharsets.UTF_8), e);
    } catch (IOException e) {
      // A reset after the server's close is a close too (e.g. unread input was pending).
      return buf.toString(StandardCharsets.UTF_8);
    }
  }

  /** Layers TLS over the connection (after the server's 220), trusting any certificate. */
  SSLSocket startTls() throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {TRUST_ALL}, new SecureRandom());
      SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
      ssl.setUseClientMode(true);
      ssl.setSoTimeout(plain.getSoTimeout());
      ssl.startHandshake();
      use(ssl);
      return ssl;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  /** STARTTLS, its 220, and the handshake. */
  SSLSocket starttls() throws IOException {
    send("STARTTLS\r\n");
    expect("220 2.0.0");
    return startTls();
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) {
        return line.size() == 0 ? null : fail("connection closed mid-line: " + line.toString(StandardCharsets.UTF_8));
      }
      if (c == '\n') {
        byte[] b = line.toByteArray();
        if (b.length == 0 || b[b.length - 1] != '\r') {
          fail("reply line not ended by CRLF: " + line.toString(StandardCharsets.UTF_8));
        }
        return new String(b, 0, b.length - 1, StandardCharsets.UTF_8);
      }
      line.write(c);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    plain.close();
  }

  private static final X509TrustManager TRUST_ALL = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };
}
