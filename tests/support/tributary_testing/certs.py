"""A throwaway certificate authority for TLS tests, made with the `openssl` command line.

    ca = make_ca(tmp_path)                                   # ca.cert_path, ca.key_path
    cert, key = ca.issue("kafka", hostnames=["localhost"], ips=["127.0.0.1"])
    client_cert, client_key = ca.issue("tributary", client=True)
    other = make_ca(tmp_path / "other")                      # a CA that signed nothing of ours

Every file is PEM: the key RSA-2048, unencrypted PKCS#8 (mode 0600, as libpq wants for a client key), the
certificate X.509 v3 signed with SHA-256, valid for a year. A server certificate
carries the host names and IPs as subjectAltNames (verify-full / hostname checks read those, not the
CN) and both serverAuth and clientAuth usages; `client=True` makes a clientAuth-only certificate whose
CN is `name` (e.g. the database user for PostgreSQL's `cert` auth). `ca.chain(cert_path)` writes the
certificate followed by the CA's (what a broker's PEM keystore chain wants).
"""

import os
import subprocess

__all__ = ["CA", "make_ca"]


def _openssl(*args, cwd=None):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result.stdout


def _new_key(path):
    # RSA, not EC: every TLS stack in the tests (JSSE, OpenSSL, a MariaDB built with wolfSSL) takes it.
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path)
    os.chmod(path, 0o600)


class CA:
    """A self-signed root in `directory` (ca.crt, ca.key) that issues leaf certificates beside it."""

    def __init__(self, directory, name="tributary-test-ca"):
        self.directory = os.fspath(directory)
        self.name = name
        self.cert_path = os.path.join(self.directory, "ca.crt")
        self.key_path = os.path.join(self.directory, "ca.key")
        self._serial = 1

    def _create(self, days):
        os.makedirs(self.directory, exist_ok=True)
        _new_key(self.key_path)
        ext = self._write_ext("ca", ["basicConstraints=critical,CA:TRUE",
                                     "keyUsage=critical,keyCertSign,cRLSign",
                                     "subjectKeyIdentifier=hash"])
        _openssl("req", "-new", "-x509", "-key", self.key_path, "-out", self.cert_path, "-days", str(days),
                 "-subj", f"/CN={self.name}", "-sha256", "-extensions", "v3", "-config", ext)
        return self

    def _write_ext(self, stem, lines):
        path = os.path.join(self.directory, f"{stem}.ext.cnf")
        with open(path, "w") as f:
            f.write("[req]\ndistinguished_name=dn\n[dn]\n[v3]\n" + "\n".join(lines) + "\n")
        return path

    def issue(self, name, hostnames=(), ips=(), client=False, days=365):
        """A leaf certificate for `name` signed by this CA: (cert_path, key_path) in the CA's directory.
        `hostnames`/`ips` become DNS/IP subjectAltNames; `client=True` makes a client-auth certificate."""
        cert_path = os.path.join(self.directory, f"{name}.crt")
        key_path = os.path.join(self.directory, f"{name}.key")
        csr_path = os.path.join(self.directory, f"{name}.csr")
        _new_key(key_path)
        _openssl("req", "-new", "-key", key_path, "-out", csr_path, "-subj", f"/CN={name}")
        lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                 "authorityKeyIdentifier=keyid", "subjectKeyIdentifier=hash",
                 "extendedKeyUsage=clientAuth" if client else "extendedKeyUsage=serverAuth,clientAuth"]
        alt = [f"DNS:{h}" for h in hostnames] + [f"IP:{ip}" for ip in ips]
        if alt:
            lines.append("subjectAltName=" + ",".join(alt))
        ext = self._write_ext(name, lines)
        self._serial += 1
        _openssl("x509", "-req", "-in", csr_path, "-CA", self.cert_path, "-CAkey", self.key_path,
                 "-set_serial", str(self._serial), "-out", cert_path, "-days", str(days), "-sha256",
                 "-extfile", ext, "-extensions", "v3")
        os.remove(csr_path)
        return cert_path, key_path

    def chain(self, cert_path):
        """Writes `<cert>.chain.pem`: the certificate, then this CA's; returns its path."""
        path = os.path.splitext(cert_path)[0] + ".chain.pem"
        with open(path, "w") as out:
            for part in (cert_path, self.cert_path):
                with open(part) as f:
                    out.write(f.read())
        return path


def make_ca(directory, name="tributary-test-ca", days=365):
    """A new CA in `directory` (created if missing)."""
    return CA(directory, name)._create(days)
