package org.postern.outbound.sts;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} as RFC 8461 §3.3 says: HTTPS
 * with the certificate checked against the Web PKI and the name {@code mta-sts.<domain>}, no
 * redirects followed, only a 200 with media type {@code text/plain}, at most
 * {@link StsPolicy#MAX_BODY} octets, within a deadline. The name is resolved through outbound's
 * own DNS client (outbound.dns_servers), not the system's resolver, which would block.
 */
final class PolicyFetcher {

  static final String PATH = "/.well-known/mta-sts.txt";

  private final Vertx vertx;
  private final HttpClient client;

  private final Duration timeout;
  private final Function<String, Future<List<String>>> addresses;
  private final int port;

  /**
   * @param addresses the IP addresses of a host name, through outbound's resolver
   * @param port 443; tests serve the policy on a free port instead
   */
  PolicyFetcher(Vertx vertx, TrustOptions trust, Duration timeout, Function<String, Future<List<String>>> addresses,
      int port) {
    this.vertx = vertx;
    this.timeout = timeout;
    this.addresses = addresses;
    this.port = port;
    // The JDK's engine: its PKIX trust manager checks the host name through endpoint identification.
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setSsl(true)
        .setVerifyHost(true)
        .setForceSni(true)
        .setTrustOptions(trust)
        .setSslEngineOptions(new JdkSSLEngineOptions())
        .setKeepAlive(false)
        .setConnectTimeout(Math.toIntExact(timeout.toMillis())));
  }

  /** The policy; fails with a {@link FetchFailure} that says which RFC 8460 result it is. */
  Future<StsPolicy> fetch(String domain) {
    String host = "mta-sts." + domain;
    Promise<StsPolicy> result = Promise.promise();
    long timer = vertx.setTimer(timeout.toMillis(), t -> result.tryFail(new FetchFailure(
        StsFailure.Result.STS_POLICY_FETCH_ERROR, "no policy from " + host + " within " + timeout.toSeconds() + " s")));
    addresses.apply(host)
        .recover(t -> Future.failedFuture(new FetchFailure(StsFailure.Result.STS_POLICY_FETCH_ERROR,
            "cannot resolve " + host + ": " + t.getMessage())))
        .compose(ips -> ips.isEmpty()
            ? Future.failedFuture(new FetchFailure(StsFailure.Result.STS_POLICY_FETCH_ERROR, host + " has no address"))
            : client.request(new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setServer(SocketAddress.inetSocketAddress(port, ips.get(0)))
                .setHost(host)
                .setPort(port)
                .setURI(PATH)
                .setFollowRedirects(false))
                .recover(t -> Future.failedFuture(connectFailure(host, t))))
        .compose(request -> {
          result.future().onFailure(t -> request.reset());
          return request.send().recover(t -> Future.failedFuture(connectFailure(host, t)));
        })
        .compose(response -> body(host, response))
        .compose(body -> {
          try {
            return Future.succeededFuture(StsPolicy.parse(body));
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(new FetchFailure(StsFailure.Result.STS_POLICY_INVALID,
                "https://" + host + PATH + ": " + e.getMessage()));
          }
        })
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            result.tryComplete(ar.result());
          } else {
            result.tryFail(ar.cause() instanceof FetchFailure ? ar.cause()
                : new FetchFailure(StsFailure.Result.STS_POLICY_FETCH_ERROR, host + ": " + ar.cause().getMessage()));
          }
        });
    return result.future();
  }

  Duration timeout() {
    return timeout;
  }

  Future<Void> close() {
    return client.close();
  }

  /** A refused certificate is the Web PKI's verdict (sts-webpki-invalid), anything else a fetch error. */
  private static FetchFailure connectFailure(String host, Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof javax.net.ssl.SSLHandshakeException || c instanceof java.security.cert.CertificateException) {
        return new FetchFailure(StsFailure.Result.STS_WEBPKI_INVALID,
            "certificate of " + host + " refused: " + c.getMessage());
      }
    }
    return new FetchFailure(StsFailure.Result.STS_POLICY_FETCH_ERROR, "https://" + host + PATH + ": " + t);
  }

  private Future<String> body(String host, HttpClientResponse response) {
    String url = "https://" + host + PATH;
    if (response.statusCode() >= 300 && response.statusCode() < 400) {
      response.request().reset();
      return Future.failedFuture(new FetchFailure(StsFailure.Result.STS_POLICY_FETCH_ERROR, url + " answered "
          + response.statusCode() + " to " + response.getHeader("Location")
          + "; redirects are not followed (RFC 8461 §3.3)"));
    }
    if (response.statusCode() != 200) {
      response.request().reset();
      return Future.failedFuture(new FetchFailure(StsFailure.Result.STS_POLICY_FETCH_ERROR,
          url + " answered " + response.statusCode()));
    }
    String type = response.getHeader("Content-Type");
    String media = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (!media.equals("text/plain")) {
      response.request().reset();
      return Future.failedFuture(new FetchFailure(StsFailure.Result.STS_POLICY_INVALID,
          url + " is " + (type == null ? "of no media type" : "'" + type + "'") + ", not text/plain"));
    }
    String length = response.getHeader("Content-Length");
    if (length != null && length.matches("[0-9]{1,18}") && Long.parseLong(length) > StsPolicy.MAX_BODY) {
      response.request().reset();
      return Future.failedFuture(tooLarge(url));
    }
    // Counted as it arrives: a body without a length, or with a false one, stops at the limit.
    Promise<String> body = Promise.promise();
    Buffer received = Buffer.buffer();
    response.handler(chunk -> {
      if (received.length() + chunk.length() > StsPolicy.MAX_BODY) {
        if (body.tryFail(tooLarge(url))) {
          response.request().reset();
        }
        return;
      }
      received.appendBuffer(chunk);
    });
    response.exceptionHandler(t -> body.tryFail(new FetchFailure(StsFailure.Result.STS_POLICY_FETCH_ERROR,
        url + ": " + t.getMessage())));
    response.endHandler(v -> body.tryComplete(received.toString(StandardCharsets.UTF_8)));
    return body.future();
  }

  private static FetchFailure tooLarge(String url) {
    return new FetchFailure(StsFailure.Result.STS_POLICY_INVALID,
        url + " is larger than " + StsPolicy.MAX_BODY + " octets (RFC 8461 §3.3)");
  }

  /** Why a fetch brought no policy, as TLS reporting names it. */
  static final class FetchFailure extends RuntimeException {
    final StsFailure.Result result;

    FetchFailure(StsFailure.Result result, String message) {
      super(message, null, false, false);
      this.result = result;
    }
  }
}
