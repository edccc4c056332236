package org.postern.node;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import org.postern.bus.QueueAdminRequest;
import org.postern.config.HostPort;

/**
 * The client side of the admin API, for {@code postern queue}: reads the token from the node's
 * data directory and sends one request. Every failure becomes one sentence for the operator.
 */
final class AdminClient {

  /** A failure to report in one line, with the exit status. */
  static final class Failure extends Exception {
    final int exitCode;

    Failure(String message, int exitCode) {
      super(message, null, false, false);
      this.exitCode = exitCode;
    }
  }

  private final HostPort admin;
  private final Path dataDir;

  AdminClient(HostPort admin, Path dataDir) {
    this.admin = admin;
    this.dataDir = dataDir;
  }

  /** Parses {@code --admin}: {@code ip:port}, {@code [ipv6]:port} or a host name, port 2580 by default. */
  static HostPort parseAddress(String text) throws Failure {
    try {
      return HostPort.parse(text, 2580);
    } catch (IllegalArgumentException e) {
      throw new Failure("--admin: " + e.getMessage() + " (expected HOST:PORT such as 127.0.0.1:2580)", 2);
    }
  }

  JsonObject call(QueueAdminRequest request) throws Failure, InterruptedException {
    return post("/queue", request.toJson(), AdminBridge.QUEUE_DEADLINE.plusSeconds(30));
  }

  /** Posts {@code body} to {@code path} and returns the node's JSON answer. */
  JsonObject post(String path, JsonObject body, Duration timeout) throws Failure, InterruptedException {
    return send(path, HttpRequest.BodyPublishers.ofString(body.encode()), "POST", timeout);
  }

  /** GETs {@code path} and returns the node's JSON answer. */
  JsonObject get(String path, Duration timeout) throws Failure, InterruptedException {
    return send(path, HttpRequest.BodyPublishers.noBody(), "GET", timeout);
  }

  private JsonObject send(String path, HttpRequest.BodyPublisher body, String method, Duration timeout)
      throws Failure, InterruptedException {
    String where = AdminBridge.address(admin.host(), admin.port());
    Path tokenFile = dataDir.resolve(AdminBridge.TOKEN_FILE);
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.US_ASCII).strip();
    } catch (NoSuchFileException e) {
      throw new Failure("cannot read the admin token: " + tokenFile + " does not exist (is the node running,"
          + " and is --data-dir its node.data_dir?)", 1);
    } catch (AccessDeniedException e) {
      throw new Failure("cannot read the admin token " + tokenFile + ": permission denied (run as the node's user)", 1);
    } catch (IOException e) {
      throw new Failure("cannot read the admin token " + tokenFile + ": " + e.getMessage(), 1);
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest http = HttpRequest.newBuilder(URI.create("http://" + where + path))
        .timeout(timeout)
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .method(method, body)
        .build();
    HttpResponse<String> response;
    try {
      response = client.send(http, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException e) {
      throw new Failure("no node is answering on " + where + " (is it running? its admin API listens on"
          + " node.admin_listen; --admin HOST:PORT points elsewhere)", 1);
    } catch (HttpTimeoutException e) {
      throw new Failure("the node on " + where + " did not answer in time", 1);
    } catch (IOException e) {
      throw new Failure("cannot talk to the node on " + where + ": " + (e.getMessage() == null ? e : e.getMessage()), 1);
    }
    JsonObject answer;
    try {
      answer = new JsonObject(response.body());
    } catch (DecodeException | ClassCastException e) {
      throw new Failure("the server on " + where + " is not a Postern admin API (HTTP " + response.statusCode() + ")", 1);
    }
    if (response.statusCode() == 401) {
      throw new Failure("the node on " + where + " refused the token in " + tokenFile
          + " (is --data-dir the data directory of that node?)", 1);
    }
    if (response.statusCode() != 200) {
      String error = answer.getValue("error") instanceof String s ? s : "HTTP " + response.statusCode();
      throw new Failure(error, 1);
    }
    return answer;
  }
}
