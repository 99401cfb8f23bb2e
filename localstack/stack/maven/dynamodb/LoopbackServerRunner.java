import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * DynamoDB Local's ServerRunner with its Jetty connector bound to 127.0.0.1. DynamoDB Local has
 * no host option: DynamoDBProxyServer builds `new Server(port)`, which listens on every interface
 * and would serve the tables to anything that can reach the machine. Its Jetty server is private,
 * so it is reached by reflection and its connectors get a host before start(). Same arguments as
 * ServerRunner (-port, -inMemory, -dbPath, -sharedDb, ...).
 */
public final class LoopbackServerRunner {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    for (Connector connector : jetty.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
  }
}
