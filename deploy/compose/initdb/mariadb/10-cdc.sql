-- The sample database and tributary's least-privilege user (README, "MySQL / MariaDB
-- prerequisites"): replication and SELECT, BINLOG MONITOR on MariaDB. Runs once, as root.
-- Demo password: change it (and INVENTORY_MYSQL_PASSWORD in docker-compose.yml).
CREATE USER 'cdc'@'%' IDENTIFIED BY 'cdc-demo';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'cdc'@'%';
GRANT BINLOG MONITOR ON *.* TO 'cdc'@'%';

CREATE DATABASE IF NOT EXISTS inventory;
CREATE TABLE inventory.products (
  id BIGINT PRIMARY KEY AUTO_INCREMENT,
  sku VARCHAR(32) NOT NULL UNIQUE,
  name VARCHAR(128) NOT NULL,
  price DECIMAL(12, 2) NOT NULL,
  stock INT NOT NULL DEFAULT 0,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
);
INSERT INTO inventory.products (sku, name, price, stock) VALUES
  ('SKU-1', 'Widget', 9.99, 100), ('SKU-2', 'Gadget', 24.50, 12), ('SKU-3', 'Gizmo', 3.25, 0);
