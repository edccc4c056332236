package org.postern.node;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code postern auth hash USER}: a line for the {@code inbound.auth_users} file. */
@Command(name = "auth", mixinStandardHelpOptions = true, description = "AUTH credentials.",
    subcommands = {AuthCommand.Hash.class})
final class AuthCommand {

  @Command(name = "hash", mixinStandardHelpOptions = true,
      description = "Read a password on standard input and print 'USER:bcrypt-hash' for inbound.auth_users.")
  static final class Hash implements Callable<Integer> {

    @Parameters(paramLabel = "USER", description = "The user name.")
    String user;

    @Option(names = "--cost", defaultValue = "12", description = "bcrypt cost, 10 to 15 (default: ${DEFAULT-VALUE}).")
    int cost;

    @Override
    public Integer call() throws Exception {
      if (user.isEmpty() || user.contains(":") || user.chars().anyMatch(Character::isWhitespace)) {
        System.err.println("postern: auth hash: a user name cannot be empty or contain ':' or spaces");
        return 2;
      }
      if (cost < 10 || cost > 15) {
        System.err.println("postern: auth hash: --cost must be between 10 and 15");
        return 2;
      }
      char[] password;
      if (System.console() != null) {
        password = System.console().readPassword("password for %s: ", user);
      } else {
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        password = line == null ? new char[0] : line.toCharArray();
      }
      if (password == null || password.length == 0) {
        System.err.println("postern: auth hash: empty password");
        return 2;
      }
      System.out.println(user + ":" + BCrypt.withDefaults().hashToString(cost, password));
      return 0;
    }
  }
}
