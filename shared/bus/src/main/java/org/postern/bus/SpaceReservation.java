package org.postern.bus;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Room in a queue's spool for a message still to come, asked for at MAIL so that a client whose
 * message could not be stored hears {@code 452 4.3.1} before it sends the text, and so that
 * sessions arriving together cannot all pass {@code queue.min_free_space}.
 *
 * <ul>
 *   <li>{@code RESERVE} ({@link #ADDRESS}): inbound asks for {@code octets} (the MAIL SIZE
 *       parameter, or an estimate) under an id it chose; the queue answers {@code GRANTED}, or
 *       fails the request with {@code 452 "4.3.1 Insufficient system storage"};
 *   <li>{@code RELEASE} ({@link #RELEASE_ADDRESS}, published to every queue node, answered by
 *       none): the transaction ended (queued, refused, RSET, closed). A release that is lost
 *       costs nothing lasting: the queue forgets a reservation after {@link #LIFETIME_SECONDS}.
 * </ul>
 *
 * @param id inbound's name for the reservation (letters, digits, dashes)
 * @param octets the room asked for; 0 in a release
 */
public record SpaceReservation(Kind kind, String id, long octets) {

  /** Reservations go to a queue node; the node's own queue when it runs one. */
  public static final String ADDRESS = "postern.queue.space.v1";
  /** Releases are published here. */
  public static final String RELEASE_ADDRESS = "postern.queue.space-release.v1";
  /**
   * How long a queue keeps a reservation nobody released: longer than a session stays in one
   * transaction in practice, short enough that a crashed inbound blocks nothing for long.
   */
  public static final int LIFETIME_SECONDS = 600;
  /** What a MAIL without SIZE reserves (less when inbound.max_message_size is smaller). */
  public static final long DEFAULT_OCTETS = 1024 * 1024;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  public enum Kind { RESERVE, GRANTED, RELEASE }

  public SpaceReservation {
    if (kind == null || id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("a reservation needs a kind and an id of letters, digits and dashes");
    }
    if (octets < 0 || octets > EnqueueRequest.MAX_BODY) {
      throw new IllegalArgumentException("octets out of range: " + octets);
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("kind", kind.name().toLowerCase(Locale.ROOT)).put("id", id).put("octets", octets);
  }

  public static SpaceReservation fromJson(JsonObject o) {
    Kind kind;
    try {
      kind = Kind.valueOf(Json.string(o, "kind").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field 'kind' is not a reservation kind");
    }
    if (!(o.getValue("octets") instanceof Number n)) {
      throw new IllegalArgumentException("field 'octets' must be a number");
    }
    return new SpaceReservation(kind, Json.string(o, "id"), n.longValue());
  }

  public static final JsonCodec<SpaceReservation> CODEC = new JsonCodec<>("postern.queue.space-reservation.v1",
      SpaceReservation.class, SpaceReservation::toJson, SpaceReservation::fromJson);
}
