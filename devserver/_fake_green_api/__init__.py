"""The parts of devserver/fake_green_api.py: the instance and its answers, the faults, the HTTP
handler. Import the fake from devserver.fake_green_api."""
