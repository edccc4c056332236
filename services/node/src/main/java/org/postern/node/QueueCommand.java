package org.postern.node;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postern.bus.QueueAdminRequest;
import org.postern.bus.QueueAdminRequest.Action;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postern queue}: Postfix's {@code postqueue} and {@code postsuper} for a running node,
 * through its admin API ({@code node.admin_listen}) and the token in its data directory.
 */
@Command(name = "queue", mixinStandardHelpOptions = true,
    description = {"Show and manage the mail queue of a running node (as postqueue and postsuper do).",
        "TARGET is a queue id, @domain (every message with a pending recipient there) or ALL."},
    subcommands = {QueueCommand.ListCmd.class, QueueCommand.Show.class, QueueCommand.Flush.class,
        QueueCommand.Hold.class, QueueCommand.Release.class, QueueCommand.Delete.class, QueueCommand.Requeue.class,
        QueueShape.class})
final class QueueCommand extends CommandGroup {

  /** Options every queue command takes. */
  static final class Connection {
    @Option(names = "--json", description = "Print the node's answer as JSON.")
    boolean json;

    @Mixin
    AdminOptions node;
  }

  /** One request to the node, printed as JSON or for people. */
  abstract static class Base implements Callable<Integer> {
    @Mixin
    Connection connection;

    abstract Action action();

    abstract String target();

    String render(JsonObject result) {
      return MailqFormat.changes(result);
    }

    @Override
    public Integer call() throws Exception {
      String name = action().name().toLowerCase(Locale.ROOT);
      QueueAdminRequest request;
      try {
        request = new QueueAdminRequest(action(), target());
      } catch (IllegalArgumentException e) {
        String t = target();
        boolean looksLikeDomain = t != null && t.matches("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");
        System.err.println("postern queue " + name + ": " + e.getMessage()
            + (looksLikeDomain && action() != Action.SHOW ? " (for a domain, write @" + t + ")" : ""));
        return 2;
      }
      try {
        JsonObject result = connection.node.client()
            .call(request);
        System.out.print(connection.json ? result.encodePrettily() + "\n" : render(result));
        System.out.flush();
        if (Boolean.FALSE.equals(result.getValue("complete"))) {
          // In a cluster, a queue node did not answer: what was printed is not the whole queue.
          System.err.println("postern queue " + name + ": incomplete: not every queue node answered (see \"nodes\")");
          return 1;
        }
        return 0;
      } catch (AdminClient.Failure f) {
        System.err.println("postern queue " + name + ": " + f.getMessage());
        return f.exitCode;
      }
    }
  }

  /** Commands that change messages: they take one TARGET. */
  abstract static class Targeted extends Base {
    @Parameters(paramLabel = "TARGET", description = "A queue id, @domain or ALL.")
    String target;

    @Override
    String target() {
      return target;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List the queue as mailq does: '*' active, '!' held; each pending recipient after its last reply.")
  static final class ListCmd extends Base {
    @Parameters(paramLabel = "TARGET", arity = "0..1", defaultValue = "ALL",
        description = "Only this message or @domain (default: ${DEFAULT-VALUE}).")
    String target;

    @Override
    Action action() {
      return Action.LIST;
    }

    @Override
    String target() {
      return target;
    }

    @Override
    String render(JsonObject result) {
      return new MailqFormat(ZoneId.systemDefault()).list(result);
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Show one message: envelope, schedule, recipients and header section.")
  static final class Show extends Base {
    @Parameters(paramLabel = "ID", description = "The queue id.")
    String id;

    @Override
    Action action() {
      return Action.SHOW;
    }

    @Override
    String target() {
      return id;
    }

    @Override
    String render(JsonObject result) {
      return new MailqFormat(ZoneId.systemDefault()).show(result);
    }
  }

  @Command(name = "flush", mixinStandardHelpOptions = true,
      description = "Attempt delivery now (postqueue -f, or -s DOMAIN): everything, or mail for DOMAIN. Held mail stays held.")
  static final class Flush extends Base {
    @Parameters(paramLabel = "DOMAIN", arity = "0..1", description = "Only messages with a recipient in DOMAIN.")
    String domain;

    @Override
    Action action() {
      return Action.FLUSH;
    }

    @Override
    String target() {
      if (domain == null) {
        return QueueAdminRequest.ALL;
      }
      return domain.startsWith("@") || domain.equals(QueueAdminRequest.ALL) ? domain : "@" + domain;
    }
  }

  @Command(name = "hold", mixinStandardHelpOptions = true,
      description = "Put messages on hold (postsuper -h): no delivery attempts until released; survives a restart.")
  static final class Hold extends Targeted {
    @Override
    Action action() {
      return Action.HOLD;
    }
  }

  @Command(name = "release", mixinStandardHelpOptions = true,
      description = "Release held messages (postsuper -H) and attempt delivery now.")
  static final class Release extends Targeted {
    @Override
    Action action() {
      return Action.RELEASE;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Remove messages without a bounce (postsuper -d).")
  static final class Delete extends Targeted {
    @Override
    Action action() {
      return Action.DELETE;
    }
  }

  @Command(name = "requeue", mixinStandardHelpOptions = true,
      description = "Attempt delivery now, with the back-off starting again from queue.min_backoff (postsuper -r).")
  static final class Requeue extends Targeted {
    @Override
    Action action() {
      return Action.REQUEUE;
    }
  }
}
