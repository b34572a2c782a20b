"""Security system checks for field encryption. (Filled in by the encryption work.)"""
