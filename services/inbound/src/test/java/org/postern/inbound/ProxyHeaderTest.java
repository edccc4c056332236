package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.config.Listener;
import org.postern.inbound.ProxyHeader.Endpoint;
import org.postern.inbound.ProxyHeader.Incomplete;
import org.postern.inbound.ProxyHeader.Invalid;
import org.postern.inbound.ProxyHeader.Parsed;
import org.postern.inbound.ProxyHeader.Result;

/** HAProxy's PROXY header, v1 and v2, octet by octet: whole, cut short, too long, forged. */
class ProxyHeaderTest {

  private static Result v1(String text) {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    return ProxyHeader.parse(b, b.length, Listener.Proxy.V1);
  }

  private static Result v2(byte[] b) {
    return ProxyHeader.parse(b, b.length, Listener.Proxy.V2);
  }

  @Test
  void v1Tcp4NamesTheClientAndLeavesTheSmtpThatFollows() {
    Parsed p = assertInstanceOf(Parsed.class, v1("PROXY TCP4 192.0.2.7 198.51.100.1 40001 25\r\nEHLO x\r\n"));
    assertEquals(new Endpoint("192.0.2.7", 40001), p.source());
    assertEquals(new Endpoint("198.51.100.1", 25), p.destination());
    assertEquals("PROXY TCP4 192.0.2.7 198.51.100.1 40001 25\r\n".length(), p.length());
  }

  @Test
  void v1Tcp6() {
    Parsed p = assertInstanceOf(Parsed.class, v1("PROXY TCP6 2001:db8::7 2001:db8::1 40001 25\r\n"));
    assertEquals(new Endpoint("2001:db8:0:0:0:0:0:7", 40001), p.source());
  }

  @Test
  void v1UnknownKeepsTheConnectionsOwnAddress() {
    Parsed p = assertInstanceOf(Parsed.class, v1("PROXY UNKNOWN\r\n"));
    assertNull(p.source());
    assertEquals(15, p.length());
    assertNull(assertInstanceOf(Parsed.class, v1("PROXY UNKNOWN ffff:: 1.2.3.4 1 2\r\n")).source());
  }

  @Test
  void v1CutShortWaitsForMore() {
    String full = "PROXY TCP4 192.0.2.7 198.51.100.1 40001 25\r\n";
    for (int i = 0; i < full.length(); i++) {
      assertInstanceOf(Incomplete.class, v1(full.substring(0, i)), "after " + i + " octets");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "EHLO client.example\r\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 40001\r\n",
      "PROXY TCP4 2001:db8::7 198.51.100.1 40001 25\r\n",
      "PROXY TCP6 192.0.2.7 2001:db8::1 40001 25\r\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 70000 25\r\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 -1 25\r\n",
      "PROXY TCP4 host.example 198.51.100.1 1 25\r\n",
      "PROXY UDP4 192.0.2.7 198.51.100.1 1 25\r\n",
      "PROXY TCP4  192.0.2.7 198.51.100.1 1 25\r\n",
      "proxy TCP4 192.0.2.7 198.51.100.1 1 25\r\n"})
  void v1MalformedIsRefused(String header) {
    assertInstanceOf(Invalid.class, v1(header));
  }

  @Test
  void v1WithoutLineEndIn107OctetsIsRefused() {
    Invalid i = assertInstanceOf(Invalid.class, v1("PROXY TCP6 " + "1".repeat(200)));
    assertTrue(i.reason().contains("107"), i.reason());
  }

  @Test
  void eachListenerTakesOnlyItsVersion() {
    assertTrue(assertInstanceOf(Invalid.class, v2("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII)))
        .reason().contains("v1 header on a proxy=v2"));
    assertTrue(assertInstanceOf(Invalid.class, v1(new String(header(0x21, 0x11, inet4(), new byte[0]),
        StandardCharsets.ISO_8859_1))).reason().contains("v2 header on a proxy=v1"));
  }

  @Test
  void v2Tcp4() {
    byte[] h = header(0x21, 0x11, inet4(), new byte[0]);
    byte[] withSmtp = concat(h, "EHLO x\r\n".getBytes(StandardCharsets.US_ASCII));
    Parsed p = assertInstanceOf(Parsed.class, v2(withSmtp));
    assertEquals(28, p.length());
    assertEquals("TCP4", p.command());
    assertEquals(new Endpoint("192.0.2.7", 40001), p.source());
    assertEquals(new Endpoint("198.51.100.1", 25), p.destination());
    assertNull(p.ssl());
  }

  @Test
  void v2Tcp6() {
    byte[] a = new byte[36];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = (byte) 0xb8;
    a[15] = 7;
    a[31] = 1;
    a[32] = (byte) 0x9c;
    a[33] = 0x41;
    a[35] = 25;
    Parsed p = assertInstanceOf(Parsed.class, v2(header(0x21, 0x21, a, new byte[0])));
    assertEquals(new Endpoint("2001:db8:0:0:0:0:0:7", 40001), p.source());
    assertEquals(new Endpoint("0:0:0:0:0:0:0:1", 25), p.destination());
  }

  @Test
  void v2LocalIsTheBalancersOwnConnection() {
    // A health check: LOCAL, family UNSPEC, no addresses; the address block is ignored even if sent.
    Parsed p = assertInstanceOf(Parsed.class, v2(header(0x20, 0x00, new byte[0], new byte[0])));
    assertEquals("LOCAL", p.command());
    assertNull(p.source());
    assertEquals(16, p.length());
    assertNull(assertInstanceOf(Parsed.class, v2(header(0x20, 0x11, inet4(), new byte[0]))).source());
  }

  @Test
  void v2UnspecAndUnixNameNoClient() {
    assertNull(assertInstanceOf(Parsed.class, v2(header(0x21, 0x00, new byte[0], new byte[0]))).source());
    assertNull(assertInstanceOf(Parsed.class, v2(header(0x21, 0x31, new byte[216], new byte[0]))).source());
  }

  @Test
  void v2SslTlvIsRead() {
    ByteArrayOutputStream ssl = new ByteArrayOutputStream();
    ssl.write(0x03); // PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN
    ssl.writeBytes(new byte[] {0, 0, 0, 0}); // verified
    ssl.writeBytes(tlv(0x21, "TLSv1.3"));
    ssl.writeBytes(tlv(0x23, "TLS_AES_256_GCM_SHA384"));
    ssl.writeBytes(tlv(0x22, "client.example"));
    byte[] tlvs = concat(tlv(0x04, "noop"), tlv(0x20, ssl.toByteArray()));
    Parsed p = assertInstanceOf(Parsed.class, v2(header(0x21, 0x11, inet4(), tlvs)));
    assertEquals(new ProxyHeader.Ssl(true, true, 0, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "client.example"), p.ssl());
    assertEquals("TLSv1.3 TLS_AES_256_GCM_SHA384 cert=verified cn=client.example", p.ssl().describe());
    assertEquals(new Endpoint("192.0.2.7", 40001), p.source());
  }

  @Test
  void v2CutShortWaitsForMore() {
    byte[] h = header(0x21, 0x11, inet4(), tlv(0x04, "x"));
    for (int i = 0; i < h.length; i++) {
      assertInstanceOf(Incomplete.class, v2(Arrays.copyOf(h, i)), "after " + i + " octets");
    }
  }

  @Test
  void v2OversizeIsRefusedBeforeItArrives() {
    byte[] h = header(0x21, 0x11, inet4(), new byte[0]);
    h[14] = (byte) 0xff;
    h[15] = (byte) 0xff;
    Invalid i = assertInstanceOf(Invalid.class, v2(Arrays.copyOf(h, 16)));
    assertTrue(i.reason().contains("65551 octets"), i.reason());
  }

  @Test
  void v2Forgeries() {
    byte[] wrongSig = header(0x21, 0x11, inet4(), new byte[0]);
    wrongSig[11] = 0x0b;
    assertInstanceOf(Invalid.class, v2(Arrays.copyOf(wrongSig, 12)));
    assertInstanceOf(Invalid.class, v2(header(0x11, 0x11, inet4(), new byte[0])), "version 1 in a v2 frame");
    assertInstanceOf(Invalid.class, v2(header(0x22, 0x11, inet4(), new byte[0])), "command 2");
    assertInstanceOf(Invalid.class, v2(header(0x21, 0x12, inet4(), new byte[0])), "UDP");
    assertInstanceOf(Invalid.class, v2(header(0x21, 0x21, inet4(), new byte[0])), "IPv6 in 12 octets");
    assertInstanceOf(Invalid.class, v2(header(0x21, 0x11, inet4(), new byte[] {0x04, 0, 9, 1})), "TLV overrun");
    assertInstanceOf(Invalid.class, v2(header(0x21, 0x11, inet4(), new byte[] {0x04, 0})), "TLV cut");
    assertInstanceOf(Invalid.class, v2(header(0x21, 0x11, inet4(), tlv(0x20, new byte[] {1, 0}))), "short SSL TLV");
    assertInstanceOf(Invalid.class, v2("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void v2PrefixOfTheSignatureWaits() {
    assertInstanceOf(Incomplete.class, v2(Arrays.copyOf(ProxyHeader.V2_SIGNATURE, 5)));
    assertInstanceOf(Incomplete.class, v2(new byte[0]));
  }

  private static byte[] inet4() {
    return new byte[] {(byte) 192, 0, 2, 7, (byte) 198, 51, 100, 1, (byte) 0x9c, 0x41, 0, 25};
  }

  private static byte[] header(int versionCommand, int familyTransport, byte[] addresses, byte[] tlvs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ProxyHeader.V2_SIGNATURE);
    out.write(versionCommand);
    out.write(familyTransport);
    int len = addresses.length + tlvs.length;
    out.write(len >> 8);
    out.write(len & 0xff);
    out.writeBytes(addresses);
    out.writeBytes(tlvs);
    return out.toByteArray();
  }

  private static byte[] tlv(int type, String value) {
    return tlv(type, value.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] tlv(int type, byte[] value) {
    return concat(new byte[] {(byte) type, (byte) (value.length >> 8), (byte) value.length}, value);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
