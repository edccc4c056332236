package org.postern.queue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.postern.bus.ClientInfo;
import org.postern.bus.EnqueueRequest;
import org.postern.smtp.Envelope;

/**
 * The durable part of a queued message: what was accepted, from whom, and when. Immutable once
 * written; delivery progress lives in a separate, small recipient-state file.
 */
public record SpooledMessage(String queueId, Envelope envelope, ClientInfo client, Instant arrival) {

  static SpooledMessage of(EnqueueRequest r, Instant arrival) {
    return new SpooledMessage(r.queueId(), r.envelope(), r.client(), arrival);
  }

  JsonObject toJson() {
    JsonObject req = new EnqueueRequest(queueId, envelope, client, io.vertx.core.buffer.Buffer.buffer()).toJson();
    req.remove("body");
    return req.put("arrival", arrival.toString());
  }

  static SpooledMessage fromJson(JsonObject o) {
    Instant arrival = Instant.parse(o.getString("arrival"));
    EnqueueRequest r = EnqueueRequest.fromJson(o.copy().put("body", ""));
    return new SpooledMessage(r.queueId(), r.envelope(), r.client(), arrival);
  }
}
